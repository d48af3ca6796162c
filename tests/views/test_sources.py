from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.models import Assignment, Label, Rating, Source, SourceMerge
from tests.conftest import make_document, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sputnik(project):
    source = Source.objects.create(
        name="Sputnik",
        domain="sputniknews.com",
        factuality="low",
        reference={"emnlp18": {"fact": "low", "bias": "right"}},
    )
    assignment = Assignment.objects.create(
        document=make_document(project),
        annotator=make_user("alice"),
        status=Assignment.Status.SUBMITTED,
    )
    Rating.objects.create(
        assignment=assignment,
        source=source,
        role=Rating.Role.CITED,
        label=Label.objects.get(project=project, kind="reliability", value=2),
    )
    return source


def test_it_pins_the_public_paths():
    assert reverse("annotate:source-list") == "/sources/"
    assert reverse("annotate:source-detail", args=[7]) == "/sources/7/"
    assert reverse("annotate:source-merge", args=[7]) == "/sources/7/merge/"


def test_it_lists_sources_with_our_ratings(client, reviewer, sputnik):
    Source.objects.create(name="Politico")
    client.force_login(reviewer)
    response = client.get(reverse("annotate:source-list"), {"q": "sputnik"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sputnik" in body and "Politico" not in body
    assert "2.00 (1)" in body


def test_it_returns_only_the_table_to_htmx(client, reviewer, sputnik):
    client.force_login(reviewer)
    response = client.get(
        reverse("annotate:source-list"), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="source-table"' in body


def test_it_shows_a_source_beside_its_reference_ratings(client, reviewer, sputnik):
    client.force_login(reviewer)
    response = client.get(reverse("annotate:source-detail", args=[sputnik.pk]))
    assert response.status_code == 200
    assert response.context["roles"]["cited"].mean == 2
    assert b"emnlp18" in response.content
    # reviewers may not merge
    assert response.context["form"] is None


def test_it_hides_ratings_of_projects_the_user_does_not_review(
    client, outsider, sputnik
):
    client.force_login(outsider)
    response = client.get(reverse("annotate:source-detail", args=[sputnik.pk]))
    assert response.status_code == 200
    assert response.context["roles"] == {}


def test_it_forbids_the_registry_to_annotators(annotator_client, sputnik):
    assert annotator_client.get(reverse("annotate:source-list")).status_code == 403
    detail = reverse("annotate:source-detail", args=[sputnik.pk])
    assert annotator_client.get(detail).status_code == 403


def test_it_sends_anonymous_users_to_login(client):
    response = client.get(reverse("annotate:source-list"))
    assert response.status_code == 302


def test_it_lets_a_manager_merge_duplicates(client, manager, sputnik):
    duplicate = Source.objects.create(name="Sputnik News")
    client.force_login(manager)
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": "sputnik news"}
    )
    assert response.status_code == 302
    assert not Source.objects.filter(pk=duplicate.pk).exists()
    sputnik.refresh_from_db()
    assert "Sputnik News" in sputnik.aliases
    assert SourceMerge.objects.get().actor == manager


def test_it_rerenders_the_merge_form_on_bad_input(client, manager, sputnik):
    client.force_login(manager)
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": str(sputnik.pk)}
    )
    assert response.status_code == 200
    assert "That is this source." in response.content.decode()
    assert Source.objects.filter(pk=sputnik.pk).exists()


def test_it_forbids_reviewers_to_merge(client, reviewer, sputnik):
    duplicate = Source.objects.create(name="Sputnik News")
    client.force_login(reviewer)
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": duplicate.pk}
    )
    assert response.status_code == 403
    assert Source.objects.filter(pk=duplicate.pk).exists()


def test_it_refuses_get_on_merge(client, manager, sputnik):
    client.force_login(manager)
    response = client.get(reverse("annotate:source-merge", args=[sputnik.pk]))
    assert response.status_code == 405
