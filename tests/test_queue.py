"""The queue under concurrency: many annotators pressing next at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Count, Q

from annotate.labelling.queue import next_assignment
from annotate.models import Assignment, Document
from tests.conftest import make_document, member


@pytest.mark.django_db(transaction=True)
def test_it_never_over_assigns_when_twenty_annotators_press_next_at_once(project):
    project.overlap = 2
    project.save()
    documents = [make_document(project, text=f"Article {n}.") for n in range(15)]
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
