"""Labelling actions under concurrency, against the real database: a double-click
or a replay from two connections at once creates one span and one undo step."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from annotate.labelling import changes as labelling
from annotate.models import Assignment, AssignmentChange, Label, Span
from tests.conftest import make_document, member


def at_once(count: int, action) -> list[BaseException]:
    """Run `action` in `count` threads released together; the errors they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            action()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_span_when_the_same_request_arrives_five_times_at_once(
    project,
):
    document = make_document(project)
    assignment = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    person = Label.objects.get(project=project, kind="entity", name="PERSON")

    def add() -> None:
        labelling.add_span(
            assignment=Assignment.objects.select_related("document").get(
                pk=assignment.pk
            ),
            start=0,
            end=13,
            label=person,
        )

    assert at_once(5, add) == []
    assert Span.objects.count() == 1
    assert AssignmentChange.objects.count() == 1
    assignment.refresh_from_db()
    assert assignment.version == 2


@pytest.mark.django_db(transaction=True)
def test_it_undoes_once_when_undo_arrives_twice_at_once(project):
    document = make_document(project)
    assignment = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    for start, end in ((0, 6), (7, 13)):
        labelling.add_span(assignment=assignment, start=start, end=end, label=person)
    shown = Assignment.objects.get(pk=assignment.pk).version

    def undo() -> None:
        labelling.undo_last_change(
            assignment=Assignment.objects.get(pk=assignment.pk), seen_version=shown
        )

    errors = at_once(2, undo)
    assert [type(error) for error in errors] == [labelling.Conflict]
    assert list(Span.objects.values_list("text", flat=True)) == ["Sergey"]


@pytest.mark.django_db
def test_a_submit_keeps_the_newest_hundred_changes_to_undo(project, monkeypatch):
    monkeypatch.setattr(AssignmentChange, "KEPT", 3)
    document = make_document(project)
    assignment = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    for end in (6, 13, 21, 24, 31):  # five spans, five changes
        labelling.add_span(assignment=assignment, start=0, end=end, label=person)
    assert AssignmentChange.objects.filter(assignment=assignment).count() == 5
    assignment.submit()
    assert AssignmentChange.objects.filter(assignment=assignment).count() == 3
    undone = [
        labelling.undo_last_change(
            assignment=assignment, seen_version=assignment.version
        )
        for _ in range(4)
    ]
    assert undone == ["add"] * 3 + [None]
    # The two oldest spans stay: their changes fell off the bottom of the stack.
    assert sorted(Span.objects.values_list("end", flat=True)) == [6, 13]
