"""The suggestions' vocabulary (TermUse, kept by triggers) stays equal to a real count
of the project's spans by string and label, whatever happens to the spans: labelling
changes and their undo, accept-all, imports, gold, documents and assignments moved
to another project, and deletes of spans, assignments, documents and projects; and a
blind project's vocabulary read from it is the one counted from the spans."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from annotate.ingest.load import import_records
from annotate.ingest.records import DocumentRecord, SpanRecord
from annotate.labelling import changes
from annotate.labelling.suggestions import Suggestion
from annotate.models import (
    Assignment,
    Document,
    ImportRun,
    Label,
    Project,
    Span,
    TermUse,
)
from annotate.review import adjudication
from tests.conftest import make_document, make_user

TEXT = "Sergey Lavrov met Assimi Goita in Bamako, said Sergey Lavrov."
PLACES = [(0, 13), (18, 30), (34, 40), (47, 60), (0, 6), (7, 13)]


def counted(spans) -> dict[tuple[int, int, str], int]:
    rows = spans.values_list(
        "assignment__document__project_id", "label_id", "text"
    ).annotate(n=Count("id"))
    return {(project, label, text): n for project, label, text, n in rows}


def vocabulary_is_counted() -> None:
    kept = {
        (row.project_id, row.label_id, row.text): row.uses
        for row in TermUse.objects.all()
    }
    assert kept == counted(Span.objects.all())


class TermUses(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example in a savepoint rolled back at its end (see test_counters.py).
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.projects = [
            Project.objects.get_or_create_with_labels(slug)[0] for slug in ("p", "q")
        ]
        self.people = [make_user(f"a{k}") for k in range(2)]
        self.root = get_user_model().objects.create_superuser("root", password="pw")
        for project in self.projects:
            for number in range(2):
                document = make_document(project, text=f"{TEXT} {project.slug}{number}")
                for person in self.people:
                    Assignment.objects.create(document=document, annotator=person)

    def pick(self, rows, pick):
        rows = list(rows)
        return rows[pick % len(rows)] if rows else None

    def open_assignment(self, pick):
        return self.pick(
            Assignment.objects.open().filter(is_imported=False).order_by("pk"), pick
        )

    def label(self, assignment, pick):
        labels = Label.objects.filter(
            project=assignment.document.project_id, kind="entity"
        ).order_by("pk")
        return self.pick(labels, pick)

    @rule(pick=st.integers(0, 50), place=st.sampled_from(PLACES), label=st.integers())
    def add_span(self, pick, place, label):
        if assignment := self.open_assignment(pick):
            start, end = place
            kind = self.label(assignment, label)
            changes.add_span(assignment=assignment, start=start, end=end, label=kind)

    @rule(pick=st.integers(0, 50), label=st.integers())
    def relabel(self, pick, label):
        span = self.pick(Span.objects.filter(assignment__status="assigned"), pick)
        if span:
            new = self.label(span.assignment, label)
            changes.change_span_label(span=span, label=new)

    @rule(pick=st.integers(0, 50))
    def link(self, pick):
        span = self.pick(Span.objects.filter(assignment__status="assigned"), pick)
        if span:
            changes.link_span(span=span, new_name=span.text)

    @rule(pick=st.integers(0, 50))
    def delete(self, pick):
        span = self.pick(Span.objects.filter(assignment__status="assigned"), pick)
        if span:
            changes.delete_span(span=span)

    @rule(pick=st.integers(0, 50), label=st.integers())
    def accept_all(self, pick, label):
        if assignment := self.open_assignment(pick):
            kind = self.label(assignment, label)
            found = [Suggestion(s, e, kind.pk, TEXT[s:e]) for s, e in PLACES[:4]]
            changes.accept_suggestions(
                assignment=assignment, suggestions=found, labels={kind.pk: kind}
            )

    @rule(pick=st.integers(0, 50))
    def undo(self, pick):
        if assignment := self.open_assignment(pick):
            changes.undo_last_change(
                assignment=assignment, seen_version=assignment.version
            )

    @rule(pick=st.integers(0, 50))
    def submit_and_build_gold(self, pick):
        if assignment := self.open_assignment(pick):
            assignment.submit()
            adjudication.take_agreed(assignment.document, reviewer=self.root, k=1)

    @rule(which=st.integers(0, 1))
    def import_annotated(self, which):
        record = DocumentRecord(
            text=TEXT,
            raw=TEXT,
            origin="test.jsonl:1",
            spans=[SpanRecord(0, 13, "PERSON", "Sergey Lavrov")],
            annotator="doccano",
        )
        project = self.projects[which]
        run = ImportRun.objects.create(project=project, format="jsonl")
        import_records([record], project=project, run=run)

    @rule(pick=st.integers(0, 50))
    def move_a_document_to_the_other_project(self, pick):
        """As the admin's change form saves it."""
        if document := self.pick(self.all_documents(), pick):
            other = next(p for p in self.projects if p.pk != document.project_id)
            twin = other.documents.filter(content_hash=document.content_hash)
            if not twin.exists():  # a project holds a text once
                document.project = other
                document.save()

    @rule(pick=st.integers(0, 50), to=st.integers(0, 50))
    def move_an_assignment_to_another_document(self, pick, to):
        assignment = self.pick(Assignment.objects.order_by("pk"), pick)
        document = self.pick(self.all_documents(), to)
        taken = Assignment.objects.filter(
            document=document, annotator_id=getattr(assignment, "annotator_id", None)
        )
        if assignment and document and not taken.exists():
            assignment.document = document
            assignment.save()

    @rule(pick=st.integers(0, 50))
    def delete_a_document(self, pick):
        if document := self.pick(self.all_documents(), pick):
            document.delete()

    @rule(which=st.integers(0, 1))
    def delete_every_span_of_a_project(self, which):
        Span.objects.filter(assignment__document__project=self.projects[which]).delete()

    def all_documents(self):
        return Document.objects.filter(project__in=self.projects).order_by("pk")

    @invariant()
    def vocabulary_equals_counts(self):
        vocabulary_is_counted()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_the_vocabulary_equals_real_counts_after_any_sequence_of_changes():
    TermUses.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    TermUses.TestCase().runTest()


@pytest.mark.django_db
def test_deleting_a_project_leaves_no_vocabulary_behind():
    project, _ = Project.objects.get_or_create_with_labels("gone")
    document = make_document(project, text=TEXT)
    assignment = Assignment.objects.create(document=document, annotator=make_user("a"))
    person = project.labels.get(name="PERSON")
    changes.add_span(assignment=assignment, start=0, end=13, label=person)
    assert TermUse.objects.filter(project=project).count() == 1
    project.delete()
    assert not TermUse.objects.exists()


@pytest.mark.django_db
def test_a_blind_vocabulary_leaves_out_peoples_spans_of_that_document_only():
    project, _ = Project.objects.get_or_create_with_labels("blind")
    person = project.labels.get(name="PERSON")
    here, elsewhere = (make_document(project, text=f"{TEXT} {n}") for n in (1, 2))
    for document, people in ((here, ("a", "b")), (elsewhere, ("c",))):
        for name in people:
            assignment = Assignment.objects.create(
                document=document, annotator=make_user(name)
            )
            changes.add_span(assignment=assignment, start=0, end=13, label=person)
            changes.add_span(assignment=assignment, start=18, end=30, label=person)
    record = DocumentRecord(
        text=here.text, raw=here.text, origin="test.jsonl:1",
        spans=[SpanRecord(34, 40, "LOC", "Bamako")], annotator="doccano",
    )  # fmt: skip
    run = ImportRun.objects.create(project=project, format="jsonl")
    import_records([record], project=project, run=run)
    location = project.labels.get(name="LOC").pk

    seen_here = TermUse.objects.most_used_beside(project.pk, here.pk, 10)

    # c's two spans elsewhere, and this document's imported span; a's and b's not.
    assert sorted(seen_here) == sorted(
        [
            ("Sergey Lavrov", person.pk, 1),
            ("Assimi Goita", person.pk, 1),
            ("Bamako", location, 1),
        ]
    )
    assert TermUse.objects.most_used(project.pk, 1) == [("Assimi Goita", person.pk, 3)]
