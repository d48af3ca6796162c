from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotate.models import Assignment, Label, Membership, Project, ReviewEvent, Span
from annotate.review import decisions as review
from tests.conftest import make_document, make_user, member

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:annotate_assignment_changelist"


def submitted(document, user, **overrides) -> Assignment:
    overrides.setdefault("status", Assignment.Status.SUBMITTED)
    return Assignment.objects.create(document=document, annotator=user, **overrides)


@pytest.fixture
def work(project, annotator):
    return submitted(make_document(project), annotator)


@pytest.fixture
def other_work(outsider):
    other = Project.objects.get(slug="other")
    return submitted(make_document(other, title="Elsewhere"), make_user("someone"))


@pytest.fixture
def staff_reviewer(reviewer):
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    return reviewer


def test_it_accepts_and_records_who_and_when(work, reviewer):
    assert review.accept(work, reviewer=reviewer, comment="Clean.")
    assert (work.review_state, work.reviewer, work.review_comment) == (
        "accepted",
        reviewer,
        "Clean.",
    )
    assert work.reviewed_at is not None
    event = ReviewEvent.objects.get(assignment=work)
    assert (event.actor, event.action, event.via) == (reviewer, "accept", "review")
    assert (event.previous_status, event.previous_review_state) == (
        "submitted",
        "pending",
    )


def test_it_bumps_the_version_so_open_tabs_notice(work, reviewer):
    before = work.version
    review.reject(work, reviewer=reviewer, comment="Missed half the names.")
    assert work.version == before + 1
    assert work.review_state == "rejected"


def test_it_sends_work_back_for_re_annotation(work, reviewer):
    review.accept(work, reviewer=reviewer)
    assert review.reopen(work, reviewer=reviewer, comment="Guidelines changed.")
    assert (work.status, work.review_state) == ("assigned", "pending")
    assert list(
        ReviewEvent.objects.filter(assignment=work).values_list("action", flat=True)
    ) == ["reopen", "accept"]


def test_it_leaves_unsubmitted_and_gold_assignments_alone(project, annotator, reviewer):
    document = make_document(project)
    open_one = submitted(document, annotator, status=Assignment.Status.ASSIGNED)
    gold = submitted(document, reviewer, is_gold=True)
    outcome = review.review_assignments(
        Assignment.objects.filter(pk__in=[open_one.pk, gold.pk]),
        action="accept",
        actor=reviewer,
        via="review",
    )
    assert (outcome.changed, outcome.unchanged) == (0, 2)
    assert not ReviewEvent.objects.exists()


def test_it_refuses_a_reviewer_of_another_project(work, outsider):
    with pytest.raises(PermissionDenied):
        review.accept(work, reviewer=outsider)
    work.refresh_from_db()
    assert work.review_state == "pending"
    assert not ReviewEvent.objects.exists()


def test_it_refuses_an_annotator(work, annotator):
    with pytest.raises(PermissionDenied):
        review.accept(work, reviewer=annotator)


# The admin back office


def test_it_lists_only_the_reviewers_projects_in_the_admin(
    client, staff_reviewer, work, other_work
):
    client.force_login(staff_reviewer)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [work]
    assert b"Elsewhere" not in response.content


def test_it_accepts_in_bulk_from_the_admin_with_a_comment(
    client, staff_reviewer, work, other_work
):
    client.force_login(staff_reviewer)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "accept_assignments",
            "_selected_action": [work.pk, other_work.pk],
            "comment": "Looks right.",
            "index": 0,
        },
    )
    assert response.status_code == 302
    work.refresh_from_db()
    other_work.refresh_from_db()
    assert (work.review_state, work.reviewer) == ("accepted", staff_reviewer)
    # the other project's assignment was never in the reviewer's queryset
    assert other_work.review_state == "pending"
    event = ReviewEvent.objects.get()
    assert (event.assignment, event.via, event.comment) == (
        work,
        "admin",
        "Looks right.",
    )


def test_it_marks_spans_assignments_for_re_annotation(
    client, staff_reviewer, project, work
):
    label = Label.objects.get(project=project, kind="entity", name="PERSON")
    span = Span.objects.create(
        assignment=work, start=0, end=13, label=label, text="Sergey Lavrov"
    )
    client.force_login(staff_reviewer)
    client.post(
        reverse("admin:annotate_span_changelist"),
        {"action": "reopen_assignments", "_selected_action": [span.pk], "index": 0},
    )
    work.refresh_from_db()
    assert (work.status, work.review_state) == ("assigned", "pending")


def test_it_hides_other_projects_objects_from_staff_reviewers(
    client, staff_reviewer, other_work
):
    client.force_login(staff_reviewer)
    response = client.get(
        reverse("admin:annotate_assignment_change", args=[other_work.pk])
    )
    # the admin answers an object outside the queryset by sending the user away
    assert response.status_code == 302
    assert b"Elsewhere" not in response.content


def test_it_offers_only_the_reviewers_projects_as_filters(
    client, staff_reviewer, other_work
):
    client.force_login(staff_reviewer)
    response = client.get(reverse(CHANGELIST))
    assert b"Lavrov in Africa" in response.content
    assert b">Other<" not in response.content


def test_it_forbids_the_admin_to_staff_annotators(client, project):
    staff_annotator = member(project, "staffann", Membership.Role.ANNOTATOR)
    staff_annotator.is_staff = True
    staff_annotator.save(update_fields=["is_staff"])
    client.force_login(staff_annotator)
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_it_keeps_the_review_fields_read_only_in_the_change_form(
    client, staff_reviewer, work
):
    client.force_login(staff_reviewer)
    response = client.get(reverse("admin:annotate_assignment_change", args=[work.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "review_state" not in form.fields
    assert "status" not in form.fields


def test_it_lets_superusers_see_every_project(admin_client, work, other_work):
    response = admin_client.get(reverse(CHANGELIST))
    assert set(response.context["cl"].queryset) == {work, other_work}


def test_it_filters_by_project_label_and_origin(admin_client, project, work):
    imported = make_user("imported:doccano", is_active=False)
    imported_work = submitted(make_document(project, text="Other text."), imported)
    imported_work.is_imported = True
    imported_work.save()
    label = Label.objects.get(project=project, kind="entity", name="PERSON")
    Span.objects.create(
        assignment=work, start=0, end=13, label=label, text="Sergey Lavrov"
    )
    url = reverse(CHANGELIST)
    by_label = admin_client.get(url, {"label": label.pk})
    assert list(by_label.context["cl"].queryset) == [work]
    by_origin = admin_client.get(url, {"origin": "imported"})
    assert list(by_origin.context["cl"].queryset) == [imported_work]
    by_project = admin_client.get(url, {"project": project.pk, "origin": "manual"})
    assert list(by_project.context["cl"].queryset) == [work]
