from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment, Label, Span, Stance, StanceTarget
from tests.conftest import make_document, make_user

pytestmark = pytest.mark.django_db

TEXT = "Sergey Lavrov arrived in Bamako on Monday."


def stats_url(project) -> str:
    return reverse("annotate:project-stats", args=[project.slug])


@pytest.fixture
def labelled(project):
    """Two annotators who agree on one span and disagree on a stance."""
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    target = StanceTarget.objects.create(project=project, name="French presence")
    document = make_document(project, text=TEXT)
    for user, stance in [(make_user("alice"), "favor"), (make_user("bob"), "against")]:
        assignment = Assignment.objects.create(
            document=document,
            annotator=user,
            status=Assignment.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        Span.objects.create(
            assignment=assignment, start=0, end=13, label=person, text=TEXT[:13]
        )
        Stance.objects.create(
            assignment=assignment,
            target=target,
            label=Label.objects.get(project=project, kind="stance", name=stance),
        )
    return document


def test_it_pins_the_public_path():
    assert reverse("annotate:project-stats", args=["demo"]) == "/p/demo/stats/"


def test_it_shows_reviewers_the_statistics(client, reviewer, project, labelled):
    client.force_login(reviewer)
    response = client.get(stats_url(project))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="span-agreement"' in body
    assert "<svg" in body
    assert "alice · bob" in body
    assert response.context["stats"].spans["total"].first == 1.0
    # the CSP forbids inline style and script: charts colour through attributes
    assert "style=" not in body
    assert "<script>" not in body


def test_it_draws_the_stance_confusion(client, manager, project, labelled):
    client.force_login(manager)
    stats = client.get(stats_url(project)).context["stats"]
    assert stats.stance_confusion.total == 2
    assert stats.stance["pairs"][0].first == 0.0


def test_it_shows_an_empty_project_without_errors(client, reviewer, project):
    client.force_login(reviewer)
    response = client.get(stats_url(project))
    assert response.status_code == 200
    assert b"Nothing to compare yet." in response.content


def test_it_forbids_annotators(annotator_client, project):
    assert annotator_client.get(stats_url(project)).status_code == 403


def test_it_hides_the_project_from_outsiders(outsider_client, project):
    assert outsider_client.get(stats_url(project)).status_code == 404


def test_it_sends_anonymous_users_to_login(client, project):
    response = client.get(stats_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_answers_in_a_fixed_number_of_queries(
    client, reviewer, project, labelled, django_assert_max_num_queries
):
    client.force_login(reviewer)
    client.get(stats_url(project))
    for n in range(3):
        make_document(project, text=f"Another {n}.")
    with django_assert_max_num_queries(25):
        client.get(stats_url(project))
