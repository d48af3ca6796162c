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
    assert [item and item.action for item in undone] == ["add"] * 3 + [None]
    # The two oldest spans stay: their changes fell off the bottom of the stack.
    assert sorted(Span.objects.values_list("end", flat=True)) == [6, 13]


@pytest.mark.django_db
def test_undo_says_what_it_undid_for_every_kind_of_change(project):
    from annotate.models import Entity, Stance, StanceTarget

    document = make_document(project, text="Bamako 🇲🇱 met Bamako; Assimi Goita too.")
    assignment = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    gpe, loc, person = (
        Label.objects.get(project=project, kind="entity", name=name)
        for name in ("GPE", "LOC", "PERSON")
    )
    target = StanceTarget.objects.create(project=project, name="Mali")
    against = Label.objects.get(project=project, kind="stance", name="against")
    later = document.text.rindex("Bamako")

    def undone() -> str:
        version = Assignment.objects.get(pk=assignment.pk).version
        result = labelling.undo_last_change(assignment=assignment, seen_version=version)
        return result.description

    span = labelling.add_span(assignment=assignment, start=0, end=9, label=gpe)
    labelling.change_span_label(span=span, label=loc)
    assert undone() == "relabel of “Bamako 🇲🇱” to LOC (back to GPE)"
    labelling.add_span(assignment=assignment, start=0, end=9, label=loc)
    span = Span.objects.get(assignment=assignment, label=gpe)
    labelling.change_span_label(span=span, label=loc)  # merged into the LOC one
    assert undone() == "relabel of “Bamako 🇲🇱” (back to GPE)"
    entity = Entity.objects.create(project=project, name="Bamako (city)")
    span = Span.objects.get(assignment=assignment, label=gpe)  # back from the merge
    labelling.link_span(span=span, entity=entity)
    assert undone() == "link of “Bamako 🇲🇱” to Bamako (city)"
    labelling.delete_span(span=Span.objects.get(assignment=assignment, label=gpe))
    assert undone() == "deletion of span “Bamako 🇲🇱” GPE"
    labelling.add_span(
        assignment=assignment, start=later, end=later + 6, label=gpe, origin="suggested"
    )
    assert undone() == "accepted suggestion “Bamako” GPE"
    labelling.dismiss_suggestion(
        assignment=assignment, start=later, end=later + 6, label=person
    )
    assert undone() == "dismissal of suggestion “Bamako” PERSON"

    class Suggested:
        def __init__(self, start: int, end: int, label: Label) -> None:
            self.start, self.end, self.label_id = start, end, label.pk

    goita = document.text.index("Assimi Goita")
    labelling.accept_suggestions(
        assignment=assignment,
        suggestions=[
            Suggested(later, later + 6, gpe),
            Suggested(goita, goita + 12, person),
        ],
        labels={gpe.pk: gpe, person.pk: person},
    )
    assert undone() == "accept all (2 spans)"
    labelling.set_stance(assignment=assignment, target=target, label=against)
    assert undone() == "stance on Mali (against)"
    assert not Stance.objects.exists()
