"""The queue under concurrency: many annotators pressing next at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse

from annotate.labelling import queue
from annotate.labelling.queue import next_assignment
from annotate.models import Assignment, Document
from tests.conftest import make_document, member, predicted


@pytest.mark.django_db(transaction=True)
def test_it_never_over_assigns_when_twenty_annotators_press_next_at_once(
    project, queue_order
):
    project.overlap = 2
    project.save()
    documents = [make_document(project, text=f"Article {n}.") for n in range(15)]
    predicted(project)
    annotators = [member(project, f"a{n}", "annotator") for n in range(20)]
    start = threading.Barrier(len(annotators))
    errors: list[BaseException] = []

    def press_next(user) -> None:
        try:
            start.wait()
            for _ in range(2):
                assignment = next_assignment(project=project, user=user)
                if assignment is not None:
                    assignment.submit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press_next, args=[user]) for user in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    counts = Document.objects.filter(pk__in=[d.pk for d in documents]).annotate(
        real=Count("assignments", filter=Q(assignments__is_gold=False))
    )
    assert all(document.real <= 2 for document in counts)
    assert all(document.real == document.assignment_count for document in counts)
    # 20 annotators x 2 presses = 40 requests for 30 slots: every slot is taken.
    assert Assignment.objects.count() == 30
    assert Assignment.objects.values("document", "annotator").distinct().count() == 30


@pytest.mark.django_db
def test_it_does_not_count_imported_annotations_as_taken_slots(project, annotator):
    from django.contrib.auth import get_user_model

    project.overlap = 1
    project.save()
    document = make_document(project)
    robot = get_user_model().objects.create(
        username="imported:doccano", is_active=False
    )
    Assignment.objects.create(
        document=document, annotator=robot, status="submitted", is_imported=True
    )
    assert next_assignment(project=project, user=annotator).document == document


@pytest.mark.django_db
def test_it_goes_on_from_where_the_annotator_left_off_then_back_for_freed_ones(
    project,
):
    from annotate.labelling.queue import release

    project.overlap = 1
    project.save()
    first, second, third = (
        make_document(project, title=title, text=f"{title} text.")
        for title in ("First", "Second", "Third")
    )
    annotator = member(project, "ann", "annotator")
    peer = member(project, "peer", "annotator")

    def press_next(user):
        assignment = next_assignment(project=project, user=user)
        if assignment is not None and user == annotator:
            assignment.submit()
        return assignment and assignment.document

    held_by_peer = next_assignment(project=project, user=peer)
    assert held_by_peer.document == first
    assert press_next(annotator) == second
    release(held_by_peer)  # the peer skips: the first document is free again
    # Ahead of the annotator first, then back for the one freed behind them.
    assert press_next(annotator) == third
    assert press_next(annotator) == first
    assert press_next(annotator) is None


# The order: returned, assigned, new


def rejected(assignment, reviewer, comment="Fix the places"):
    from annotate.review.decisions import reject

    assignment.submit()
    assert reject(assignment, reviewer=reviewer, comment=comment)
    return assignment


@pytest.mark.django_db
def test_it_hands_back_rejected_work_first_oldest_rejection_first(project, queue_order):
    first, second, _ = (
        make_document(project, title=t, text=f"{t} text.") for t in "ABC"
    )
    predicted(project)  # the new one (C) is the least confident
    annotator = member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    older = rejected(
        Assignment.objects.create(document=first, annotator=annotator), reviewer
    )
    newer = rejected(
        Assignment.objects.create(document=second, annotator=annotator), reviewer
    )
    # Rejected later, but reviewed_at decides: make the first rejection the newer one.
    Assignment.objects.filter(pk=older.pk).update(reviewed_at=newer.reviewed_at)
    Assignment.objects.filter(pk=newer.pk).update(
        reviewed_at=newer.reviewed_at.replace(year=2020)
    )
    assert next_assignment(project=project, user=annotator) == newer
    newer.submit()  # resubmitted: no longer waiting for the annotator
    assert next_assignment(project=project, user=annotator) == older


@pytest.mark.django_db
def test_it_serves_rejected_then_assigned_then_new(project, queue_order):
    returned_doc, assigned_doc, new_doc = (
        make_document(project, title=t, text=f"{t} text.") for t in "RAN"
    )
    predicted(project)  # the new one (N) is the least confident
    annotator = member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    manager = member(project, "man", "manager")
    assigned = Assignment.objects.create(
        document=assigned_doc, annotator=annotator, assigned_by=manager
    )
    returned = rejected(
        Assignment.objects.create(document=returned_doc, annotator=annotator),
        reviewer,
    )
    assert next_assignment(project=project, user=annotator) == returned
    returned.submit()
    assert next_assignment(project=project, user=annotator) == assigned
    queue.mark_opened(assigned)  # opened once: served no more, listed under My work
    taken = next_assignment(project=project, user=annotator)
    assert taken.document == new_doc and taken.assigned_by is None
    assert next_assignment(project=project, user=annotator) is None


@pytest.mark.django_db
def test_it_never_hands_back_the_document_being_left(project):
    first, second = (make_document(project, title=t, text=f"{t} text.") for t in "AB")
    annotator = member(project, "ann", "annotator")
    current = next_assignment(project=project, user=annotator)
    assert current.document == first
    # The defect of old: the open document came back first, so Next stood still.
    moved = next_assignment(project=project, user=annotator, after=current)
    assert moved.document == second
    current.refresh_from_db()
    assert current.status == Assignment.Status.ASSIGNED  # left open, not skipped
    assert next_assignment(project=project, user=annotator, after=moved) is None


@pytest.mark.django_db
def test_it_walks_through_returned_work_instead_of_between_two(project):
    documents = [make_document(project, title=t, text=f"{t} text.") for t in "ABC"]
    annotator = member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    one, two = (
        rejected(Assignment.objects.create(document=d, annotator=annotator), reviewer)
        for d in documents[:2]
    )
    assert next_assignment(project=project, user=annotator) == one
    assert next_assignment(project=project, user=annotator, after=one) == two
    # Past the last returned one: a new document, not the first returned one again.
    new = next_assignment(project=project, user=annotator, after=two)
    assert new.document == documents[2]
    assert next_assignment(project=project, user=annotator, after=new) == one


@pytest.mark.django_db
def test_it_does_not_serve_a_manager_assignment_once_opened_or_skipped(project):
    document = make_document(project)
    annotator = member(project, "ann", "annotator")
    manager = member(project, "man", "manager")
    assigned = Assignment.objects.create(
        document=document, annotator=annotator, assigned_by=manager
    )
    assert next_assignment(project=project, user=annotator) == assigned
    queue.release(assigned)
    assert next_assignment(project=project, user=annotator) is None


@pytest.mark.django_db
def test_skip_gives_the_slot_back_to_the_queue(project, queue_order):
    project.overlap = 1
    project.save()
    document = make_document(project)
    predicted(project)
    annotator = member(project, "ann", "annotator")
    peer = member(project, "peer", "annotator")
    taken = next_assignment(project=project, user=annotator)
    assert next_assignment(project=project, user=peer) is None
    queue.release(taken)
    assert next_assignment(project=project, user=annotator) is None  # not again
    assert next_assignment(project=project, user=peer).document == document


@pytest.mark.django_db
def test_it_counts_work_by_state(project):
    annotator = member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    made = [
        Assignment.objects.create(
            document=make_document(project, title=f"{n}", text=f"Text {n}."),
            annotator=annotator,
        )
        for n in range(5)
    ]
    made[1].submit()
    rejected(made[2], reviewer)
    made[3].submit()
    from annotate.review.decisions import accept

    accept(made[3], reviewer=reviewer)
    queue.release(made[4])
    counts = queue.work_counts(project=project, user=annotator)
    assert counts == {
        "in_progress": 1,
        "submitted": 1,
        "returned": 1,
        "accepted": 1,
        "all": 4,
    }
    assert [queue.state_of(a) for a in made[:4]] == [
        "in_progress",
        "submitted",
        "returned",
        "accepted",
    ]


# Through the doors: /next/, the screen's Next, the done page


def next_url(project, **query) -> str:
    from urllib.parse import urlencode

    url = reverse("annotate:next", args=[project.slug])
    return f"{url}?{urlencode(query)}" if query else url


def screen_url(assignment) -> str:
    return reverse(
        "annotate:annotate",
        args=[assignment.document.project.slug, assignment.pk],
    )


@pytest.mark.django_db
def test_label_the_next_document_gives_rejected_work_back(
    annotator_client, annotator, reviewer, project
):
    """The defect of old: after a rejection, next said "Nothing left to label…
    Thank you!" and the document was only findable in a list."""
    document = make_document(project)
    work = rejected(
        Assignment.objects.create(document=document, annotator=annotator), reviewer
    )
    response = annotator_client.get(next_url(project))
    assert response.status_code == 302
    assert response["Location"] == screen_url(work)


@pytest.mark.django_db
def test_next_from_the_screen_moves_on_and_leaves_the_document_open(
    annotator_client, project
):
    """The defect of old: Next (and Shift+N, which clicks it) reloaded the same
    unfinished document."""
    first, second = (make_document(project, title=t, text=f"{t} text.") for t in "AB")
    current = Assignment.objects.get(
        pk=_followed(annotator_client.get(next_url(project)))
    )
    assert current.document == first
    response = annotator_client.get(next_url(project, after=current.pk))
    moved = Assignment.objects.get(pk=_followed(response))
    assert moved.document == second
    current.refresh_from_db()
    assert current.status == Assignment.Status.ASSIGNED
    # The screen's Next (Shift+N clicks it) names the document it leaves.
    page = annotator_client.get(screen_url(current)).content.decode()
    assert f'href="{next_url(project, after=current.pk)}" id="next-link"' in page


def _followed(response) -> int:
    """The assignment id a redirect to the annotation screen names."""
    assert response.status_code == 302, response.content[:300]
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.django_db
def test_the_done_page_points_at_what_is_still_open(annotator_client, project):
    make_document(project, title="Half done")
    current = Assignment.objects.get(
        pk=_followed(annotator_client.get(next_url(project)))
    )
    response = annotator_client.get(next_url(project, after=current.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing left to label" in body
    assert "Thank you!" not in body  # the defect of old: thanked, with work left open
    assert f'href="{screen_url(current)}">Half done</a>' in body
    assert "1 in progress" in body and "(the one you just left)" in body
    my_work = reverse("annotate:my-work", args=[project.slug])
    assert f'href="{my_work}?state=in_progress"' in body


@pytest.mark.django_db
def test_the_done_page_thanks_when_nothing_is_open(annotator_client, project):
    response = annotator_client.get(next_url(project))
    body = response.content.decode()
    assert "Nothing left to label" in body and "Thank you!" in body


@pytest.mark.django_db
def test_next_refuses_a_malformed_after(annotator_client, project):
    response = annotator_client.get(next_url(project, after="first"))
    assert response.status_code == 400
    assert "after: Enter a whole number." in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_next_ignores_an_after_that_is_not_the_annotators(annotator_client, project):
    document = make_document(project)
    peer = member(project, "peer", "annotator")
    theirs = Assignment.objects.create(document=document, annotator=peer)
    response = annotator_client.get(next_url(project, after=theirs.pk))
    assert Assignment.objects.get(pk=_followed(response)).annotator.username == "ann"


@pytest.mark.django_db
def test_opening_an_assigned_document_takes_it_off_the_queue(
    annotator_client, annotator, manager, project
):
    document = make_document(project)
    assigned = Assignment.objects.create(
        document=document, annotator=annotator, assigned_by=manager
    )
    assert _followed(annotator_client.get(next_url(project))) == assigned.pk
    annotator_client.get(screen_url(assigned))
    assigned.refresh_from_db()
    assert assigned.opened_at is not None
    assert (
        "Nothing left to label"
        in annotator_client.get(next_url(project)).content.decode()
    )


@pytest.mark.django_db
def test_a_reviewer_reading_it_does_not_open_it(client, annotator, reviewer, project):
    document = make_document(project)
    work = Assignment.objects.create(document=document, annotator=annotator)
    client.force_login(reviewer)
    assert client.get(screen_url(work)).status_code == 200
    work.refresh_from_db()
    assert work.opened_at is None


@pytest.mark.django_db
def test_the_screen_shows_a_rejection_on_top_with_who_when_and_what(
    annotator_client, annotator, reviewer, project
):
    work = rejected(
        Assignment.objects.create(document=make_document(project), annotator=annotator),
        reviewer,
        comment="Bamako is a city, not an organisation",
    )
    body = annotator_client.get(screen_url(work)).content.decode()
    banner = body.split('id="returned-banner"', 1)[1].split("</section>", 1)[0]
    assert "Rejected by rev on" in banner
    assert work.reviewed_at.strftime("%Y-%m-%d") in banner  # the datetime attribute
    assert "Bamako is a city, not an organisation" in banner
    assert "Fix it and submit again" in banner
    assert body.index('id="returned-banner"') < body.index('class="toolbar"')


@pytest.mark.django_db
def test_the_help_says_what_next_skip_and_submit_do(
    annotator_client, annotator, project
):
    work = Assignment.objects.create(
        document=make_document(project), annotator=annotator
    )
    body = annotator_client.get(screen_url(work)).content.decode()
    help_text = body.split('<dialog id="help"', 1)[1]
    assert "leave this document open as it is (it stays under My work)" in help_text
    assert "give this document back for someone else to label" in help_text
    assert "submit (or submit again after a correction)" in help_text
    my_work = reverse("annotate:my-work", args=[project.slug])
    assert f'href="{my_work}" id="my-work-link"' in body


@pytest.mark.django_db
def test_an_uncertainty_first_queue_hands_out_the_least_confident_first(project):
    """The newest prediction decides; documents without one come last, in order."""
    project.queue_order = "uncertainty"
    project.save()
    sure, unsure, unknown, middling = (
        make_document(project, title=t, text=f"{t} text.") for t in "SUKM"
    )
    level = {sure.pk: 0.1, unsure.pk: 0.9, middling.pk: 0.5}
    predicted(project, uncertainty=lambda document: level.get(document.pk))
    # A newer version of the model is sure of `unsure` now: its newest word counts.
    from annotate.models import Prediction

    Prediction.objects.create(
        document=unsure, model_name="m", model_version="2", uncertainty=0.05
    )
    annotator = member(project, "ann", "annotator")
    handed = []
    while (assignment := next_assignment(project=project, user=annotator)) is not None:
        handed.append(assignment.document)
    assert handed == [middling, sure, unsure, unknown]


@pytest.mark.django_db
def test_a_documents_uncertainty_follows_the_newest_prediction_written(project):
    """Kept by the database, whoever writes predictions (one row, bulk, an update)."""
    from annotate.models import Prediction

    document, other = make_document(project), make_document(project, text="Other.")

    def stored() -> float | None:
        return Document.objects.get(pk=document.pk).prediction_uncertainty

    Prediction.objects.create(
        document=document, model_name="m", model_version="1", uncertainty=0.2
    )
    assert stored() == 0.2
    Prediction.objects.bulk_create(
        [
            Prediction(
                document=document, model_name="m", model_version="2", uncertainty=0.7
            )
        ]
    )
    assert stored() == 0.7
    Prediction.objects.filter(model_version="2").update(uncertainty=0.1)
    assert stored() == 0.1
    assert Document.objects.get(pk=other.pk).prediction_uncertainty is None
