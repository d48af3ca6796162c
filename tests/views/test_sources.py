from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.models import (
    Assignment,
    Label,
    Membership,
    Project,
    Rating,
    Source,
    SourceMerge,
)
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


def test_it_hides_sources_of_projects_the_user_does_not_review(
    client, outsider, sputnik
):
    client.force_login(outsider)
    response = client.get(reverse("annotate:source-detail", args=[sputnik.pk]))
    assert response.status_code == 404
    listing = client.get(reverse("annotate:source-list"))
    assert "Sputnik" not in listing.content.decode()


def test_it_forbids_the_registry_to_annotators(annotator_client, sputnik):
    assert annotator_client.get(reverse("annotate:source-list")).status_code == 403
    detail = reverse("annotate:source-detail", args=[sputnik.pk])
    assert annotator_client.get(detail).status_code == 403


def test_it_sends_anonymous_users_to_login(client):
    response = client.get(reverse("annotate:source-list"))
    assert response.status_code == 302


def test_it_lets_a_manager_merge_duplicates(client, manager, project, sputnik):
    duplicate = used_in(project, "Sputnik News")
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


# -- sources of other projects (issue 19, item 5) -------------------------------------


def used_in(project, name: str) -> Source:
    """A source that publishes a document of `project` and nothing else."""
    source = Source.objects.create(name=name)
    make_document(project, text=f"An article from {name}.", publisher=source)
    return source


@pytest.fixture
def elsewhere(db):
    project, _ = Project.objects.get_or_create_with_labels("elsewhere")
    return project


def test_the_list_shows_only_the_sources_of_the_users_projects(
    client, reviewer, sputnik, elsewhere
):
    used_in(elsewhere, "Secret Outlet")
    client.force_login(reviewer)
    body = client.get(reverse("annotate:source-list")).content.decode()
    assert "Sputnik" in body
    assert "Secret Outlet" not in body
    searched = client.get(reverse("annotate:source-list"), {"q": "secret"})
    assert "Secret Outlet" not in searched.content.decode()


def test_a_superuser_sees_every_source(client, sputnik, elsewhere):
    used_in(elsewhere, "Secret Outlet")
    client.force_login(make_user("root", is_superuser=True))
    body = client.get(reverse("annotate:source-list")).content.decode()
    assert "Sputnik" in body and "Secret Outlet" in body


def test_a_manager_cannot_merge_another_projects_source_into_theirs(
    client, manager, sputnik, elsewhere
):
    foreign = used_in(elsewhere, "Secret Outlet")
    client.force_login(manager)
    for other in ("Secret Outlet", str(foreign.pk)):
        response = client.post(
            reverse("annotate:source-merge", args=[sputnik.pk]), {"other": other}
        )
        assert response.status_code == 200
        assert "No source of your projects has this id or name." in response.text
    assert Source.objects.filter(pk=foreign.pk).exists()
    assert not SourceMerge.objects.exists()


def test_a_manager_cannot_merge_a_source_another_project_also_uses(
    client, manager, sputnik, elsewhere
):
    shared = used_in(elsewhere, "Sputnik News")
    make_document(
        sputnik_project := Project.objects.get(slug="lavrov"),
        text="x y z.",
        publisher=shared,
    )
    assert sputnik_project.pk != elsewhere.pk
    client.force_login(manager)
    # As the duplicate: refused with the reason.
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": "Sputnik News"}
    )
    assert response.status_code == 200
    assert "also used in projects you do not manage" in response.text
    # As the source kept: no form, and a direct post is forbidden.
    page = client.get(reverse("annotate:source-detail", args=[shared.pk]))
    assert page.context["form"] is None
    assert "only a superuser can merge it" in page.text
    response = client.post(
        reverse("annotate:source-merge", args=[shared.pk]), {"other": "Sputnik"}
    )
    assert response.status_code == 403
    assert Source.objects.count() == 2 and not SourceMerge.objects.exists()


def test_a_manager_of_every_project_using_them_may_merge(
    client, manager, sputnik, elsewhere
):
    shared = used_in(elsewhere, "Sputnik News")
    Membership.objects.create(user=manager, project=elsewhere, role="manager")
    client.force_login(manager)
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": "Sputnik News"}
    )
    assert response.status_code == 302
    assert not Source.objects.filter(pk=shared.pk).exists()


def test_a_superuser_may_merge_any_sources(client, sputnik, elsewhere):
    foreign = used_in(elsewhere, "Secret Outlet")
    client.force_login(make_user("root", is_superuser=True))
    response = client.post(
        reverse("annotate:source-merge", args=[sputnik.pk]), {"other": "Secret Outlet"}
    )
    assert response.status_code == 302
    assert not Source.objects.filter(pk=foreign.pk).exists()
