from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from annotate.models import (
    Assignment,
    Label,
    Span,
    Stance,
    StanceTarget,
    StatisticsSnapshot,
)
from annotate.models.snapshots import REFRESH_CLAIM_TIMEOUT, SNAPSHOT_FORMAT
from annotate.quality import statistics
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


# Snapshots: stale-while-revalidate


def recompute_url(project) -> str:
    return reverse("annotate:project-stats-recompute", args=[project.slug])


@pytest.fixture
def queued_tasks(settings):
    """Tasks are queued and kept, not run: the test runs them (or not)."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    default_task_backend.clear()
    yield default_task_backend.results
    default_task_backend.clear()


def refuse_to_recompute(project):
    raise AssertionError("the statistics were recomputed")


@pytest.fixture
def no_recomputation(monkeypatch):
    """Fails the test if the statistics are computed."""
    monkeypatch.setattr(statistics, "project_agreement", refuse_to_recompute)


def age_snapshot(project, seconds: int) -> StatisticsSnapshot:
    snapshot = StatisticsSnapshot.objects.get(project=project)
    snapshot.computed_at = timezone.now() - timedelta(seconds=seconds)
    snapshot.save(update_fields=["computed_at"])
    return snapshot


def add_a_disagreement(project, labelled) -> None:
    """A second document on which alice and bob label different offsets."""
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    document = make_document(project, text="Ivan Petrov met Anna Ivanova.")
    for username, (start, end) in [("alice", (0, 11)), ("bob", (16, 28))]:
        assignment = Assignment.objects.create(
            document=document,
            annotator=get_user_model().objects.get(username=username),
            status=Assignment.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        Span.objects.create(
            assignment=assignment,
            start=start,
            end=end,
            label=person,
            text=document.text[start:end],
        )


def test_it_pins_the_recompute_path():
    assert reverse("annotate:project-stats-recompute", args=["demo"]) == (
        "/p/demo/stats/recompute/"
    )


def test_it_keeps_a_snapshot_of_a_small_project(client, reviewer, project, labelled):
    client.force_login(reviewer)
    response = client.get(stats_url(project))
    snapshot = StatisticsSnapshot.objects.get(project=project)
    assert snapshot.statistics() == response.context["stats"]
    assert snapshot.documents == 1
    assert snapshot.refresh_requested_at is None
    assert b"computed just now" in response.content
    assert b"Recompute now" in response.content


def test_it_serves_a_fresh_snapshot_without_recomputing(
    client,
    reviewer,
    project,
    labelled,
    monkeypatch,
    queued_tasks,
    django_assert_num_queries,
):
    client.force_login(reviewer)
    client.get(stats_url(project))
    monkeypatch.setattr(statistics, "project_agreement", refuse_to_recompute)
    # session, user, project with the role, snapshot, the recommenders' runs:
    # whatever the project's size
    with django_assert_num_queries(5):
        response = client.get(stats_url(project))
    assert response.status_code == 200
    assert response.context["stats"].spans["total"].first == 1.0
    assert "alice · bob" in response.content.decode()
    assert queued_tasks == []


def test_it_shows_a_stale_snapshot_and_queues_one_refresh(
    client, reviewer, manager, project, labelled, queued_tasks
):
    client.force_login(reviewer)
    client.get(stats_url(project))
    add_a_disagreement(project, labelled)
    age_snapshot(project, settings.STATISTICS_MAX_AGE + 60)
    for user in (reviewer, manager, reviewer):
        client.force_login(user)
        response = client.get(stats_url(project))
        assert response.status_code == 200
        # the old figures, at once
        assert response.context["stats"].spans["total"].first == 1.0
        assert b"recomputing in the background" in response.content
        assert b'hx-trigger="every 2s"' in response.content
    assert len(queued_tasks) == 1
    assert queued_tasks[0].task.func is statistics.refresh_statistics.func

    statistics.refresh_statistics.call(*queued_tasks[0].args)
    snapshot = StatisticsSnapshot.objects.get(project=project)
    assert snapshot.refresh_requested_at is None
    assert snapshot.is_fresh(settings.STATISTICS_MAX_AGE)
    response = client.get(stats_url(project), headers={"HX-Request": "true"})
    assert response.context["stats"].spans["total"].first == 0.5
    assert b"<html" not in response.content
    assert b'id="statistics"' in response.content
    assert b"hx-trigger" not in response.content  # the poll stops
    assert len(queued_tasks) == 1


def test_it_refreshes_a_stale_snapshot_with_the_task(
    client, reviewer, project, labelled
):
    """With the tasks run at once (the tests' backend), the refresh lands at once."""
    client.force_login(reviewer)
    client.get(stats_url(project))
    add_a_disagreement(project, labelled)
    before = age_snapshot(project, settings.STATISTICS_MAX_AGE + 60).computed_at
    client.get(stats_url(project))
    snapshot = StatisticsSnapshot.objects.get(project=project)
    assert snapshot.computed_at > before
    assert snapshot.statistics().spans["total"].first == 0.5


def test_it_lets_a_refresh_claim_expire(client, reviewer, project, labelled):
    """A refresh whose task never answered does not block the next one forever."""
    client.force_login(reviewer)
    client.get(stats_url(project))
    snapshot = age_snapshot(project, settings.STATISTICS_MAX_AGE + 60)
    snapshot.refresh_requested_at = timezone.now() - REFRESH_CLAIM_TIMEOUT
    snapshot.save(update_fields=["refresh_requested_at"])
    client.get(stats_url(project))
    snapshot.refresh_from_db()
    assert snapshot.is_fresh(settings.STATISTICS_MAX_AGE)
    assert snapshot.refresh_requested_at is None


def test_it_recomputes_now(client, reviewer, project, labelled):
    client.force_login(reviewer)
    client.get(stats_url(project))
    add_a_disagreement(project, labelled)
    before = StatisticsSnapshot.objects.get(project=project).computed_at
    assert client.get(stats_url(project)).context["stats"].spans["total"].first == 1.0

    response = client.post(recompute_url(project))
    assert response.status_code == 302
    assert response["Location"] == stats_url(project)
    snapshot = StatisticsSnapshot.objects.get(project=project)
    assert snapshot.computed_at > before
    assert client.get(stats_url(project)).context["stats"].spans["total"].first == 0.5


def test_it_recomputes_now_into_the_region_with_htmx(
    client, reviewer, project, labelled
):
    client.force_login(reviewer)
    client.get(stats_url(project))
    add_a_disagreement(project, labelled)
    response = client.post(recompute_url(project), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="statistics"')
    assert response.context["stats"].spans["total"].first == 0.5


def test_it_recomputes_a_big_project_in_the_background(
    client, reviewer, project, labelled, settings, queued_tasks
):
    client.force_login(reviewer)
    client.get(stats_url(project))
    settings.STATISTICS_INLINE_DOCUMENTS = 1
    client.post(recompute_url(project))
    client.post(recompute_url(project))  # a second click queues nothing more
    assert len(queued_tasks) == 1
    response = client.get(stats_url(project))
    assert b"recomputing in the background" in response.content
    assert len(queued_tasks) == 1


def test_it_computes_a_big_project_in_the_background(
    client, reviewer, project, labelled, settings, queued_tasks
):
    settings.STATISTICS_INLINE_DOCUMENTS = 1
    make_document(project, text="A second document.")
    client.force_login(reviewer)
    response = client.get(stats_url(project))
    assert response.status_code == 200
    assert b"Statistics are being computed for 2 documents" in response.content
    assert b'hx-trigger="every 2s"' in response.content
    assert response.context["stats"] is None
    assert len(queued_tasks) == 1

    # the poll, before the task ran: still waiting, nothing more queued
    poll = client.get(stats_url(project), headers={"HX-Request": "true"})
    assert b"<html" not in poll.content
    assert b"being computed" in poll.content
    assert len(queued_tasks) == 1

    statistics.refresh_statistics.call(*queued_tasks[0].args)
    poll = client.get(stats_url(project), headers={"HX-Request": "true"})
    body = poll.content.decode()
    assert 'id="span-agreement"' in body
    assert "being computed" not in body
    assert "hx-trigger" not in body
    assert poll.context["stats"].spans["total"].first == 1.0


def test_it_recomputes_a_snapshot_of_another_format(
    client, reviewer, project, labelled
):
    """Figures pickled by an older version of the dataclasses are not unpickled."""
    client.force_login(reviewer)
    client.get(stats_url(project))
    StatisticsSnapshot.objects.filter(project=project).update(
        format=0, payload=b"not a pickle"
    )
    response = client.get(stats_url(project))
    assert response.context["stats"].spans["total"].first == 1.0
    assert StatisticsSnapshot.objects.get(project=project).format == SNAPSHOT_FORMAT


def test_its_task_skips_a_refresh_already_answered(project, labelled, no_recomputation):
    requested = timezone.now()
    StatisticsSnapshot.objects.create(project=project, computed_at=requested)
    statistics.refresh_statistics.call(project.pk, requested.isoformat())


def test_its_task_ignores_a_deleted_project(db, no_recomputation):
    statistics.refresh_statistics.call(987654, timezone.now().isoformat())


def test_it_forbids_annotators_to_recompute(annotator_client, project):
    assert annotator_client.post(recompute_url(project)).status_code == 403
    assert not StatisticsSnapshot.objects.filter(project=project).exists()


def test_it_hides_recompute_from_outsiders(outsider_client, project):
    assert outsider_client.post(recompute_url(project)).status_code == 404
    assert not StatisticsSnapshot.objects.filter(project=project).exists()


def test_it_refuses_a_get_to_recompute(client, reviewer, project):
    client.force_login(reviewer)
    assert client.get(recompute_url(project)).status_code == 405
