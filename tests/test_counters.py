"""The counters the database keeps (Document.assignment_count, Project.document_count)
stay equal to real counts whatever happens to the rows, in every way the app and the
admin change them: the queue, skips, submits, reopens, gold, imports, and the admin's
single and bulk deletes of assignments, documents, users and projects."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from annotate.ingest.load import import_records
from annotate.ingest.records import DocumentRecord, SpanRecord
from annotate.labelling import queue
from annotate.models import Assignment, Document, ImportRun, Project
from annotate.review import adjudication, decisions
from tests.conftest import make_document, make_user

TEXTS = [f"Sergey Lavrov arrived in Bamako on day {n}." for n in range(6)]


def slots_are_counted() -> None:
    real = Q(
        assignments__is_gold=False,
        assignments__is_imported=False,
    ) & ~Q(assignments__status=Assignment.Status.SKIPPED)
    for document in Document.objects.annotate(real=Count("assignments", filter=real)):
        assert document.assignment_count == document.real, document
    for project in Project.objects.annotate(real=Count("documents")):
        assert project.document_count == project.real, project


class Counters(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at its end: examples never see
        # each other's rows, so Hypothesis can replay and shrink them.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.n = 0
        self.made = 0
        self.project, _ = Project.objects.get_or_create_with_labels(f"p{self.n}")
        self.project.overlap = 2
        self.project.save()
        self.root = get_user_model().objects.create_superuser(
            f"root{self.n}", password="pw"
        )
        self.admin = Client()
        self.admin.force_login(self.root)
        self.people = [make_user(f"a{self.n}-{k}") for k in range(3)]
        self.documents = [make_document(self.project, text=t) for t in TEXTS[:4]]

    def person(self, k: int):
        """One of the three annotators, unless the admin deleted them."""
        return get_user_model().objects.filter(pk=self.people[k].pk).first()

    def assignments(self):
        return Assignment.objects.filter(document__project=self.project).order_by("pk")

    # The app

    @rule(person=st.integers(0, 2))
    def next_document(self, person):
        if user := self.person(person):
            queue.next_assignment(project=self.project, user=user)

    @rule(pick=st.integers(0, 50))
    def skip(self, pick):
        open_ = list(self.assignments().filter(status=Assignment.Status.ASSIGNED))
        if open_:
            queue.release(open_[pick % len(open_)])

    @rule(pick=st.integers(0, 50))
    def submit(self, pick):
        open_ = list(self.assignments().filter(status=Assignment.Status.ASSIGNED))
        if open_:
            open_[pick % len(open_)].submit()

    @rule(pick=st.integers(0, 50))
    def reopen(self, pick):
        done = list(self.assignments().exclude(status=Assignment.Status.ASSIGNED))
        if done:
            decisions.reopen(done[pick % len(done)], reviewer=self.root)

    @rule(pick=st.integers(0, 50))
    def build_gold(self, pick):
        documents = list(self.project.documents.all())
        if documents:
            document = documents[pick % len(documents)]
            adjudication.take_agreed(document, reviewer=self.root, k=1)

    @rule(text=st.sampled_from(TEXTS))
    def import_annotated(self, text):
        record = DocumentRecord(
            text=text,
            raw=text,
            origin="test.jsonl:1",
            spans=[SpanRecord(0, 13, "PERSON", "Sergey Lavrov")],
            annotator="doccano",
        )
        run = ImportRun.objects.create(project=self.project, format="jsonl")
        import_records([record], project=self.project, run=run)

    # The admin

    @rule(person=st.integers(0, 2), pick=st.integers(0, 50))
    def admin_adds_an_assignment(self, person, pick):
        documents = list(self.project.documents.all())
        if documents and (user := self.person(person)):
            url = reverse("admin:annotate_assignment_add")
            data = {
                "document": documents[pick % len(documents)].pk,
                "annotator": user.pk,
                **_empty_inlines(),
            }
            self.admin.post(url, data)

    @rule(pick=st.integers(0, 50))
    def admin_deletes_an_assignment(self, pick):
        rows = list(self.assignments())
        if rows:
            row = rows[pick % len(rows)]
            url = reverse("admin:annotate_assignment_delete", args=[row.pk])
            self.admin.post(url, {"post": "yes"})

    @rule(picks=st.lists(st.integers(0, 50), max_size=4))
    def admin_deletes_assignments_in_bulk(self, picks):
        rows = list(self.assignments())
        if rows:
            chosen = {rows[pick % len(rows)].pk for pick in picks}
            url = reverse("admin:annotate_assignment_changelist")
            self.admin.post(
                url,
                {
                    "action": "delete_selected",
                    "_selected_action": chosen,
                    "post": "yes",
                },
            )

    @rule(pick=st.integers(0, 50))
    def admin_deletes_a_document(self, pick):
        documents = list(self.project.documents.all())
        if documents:
            document = documents[pick % len(documents)]
            url = reverse("admin:annotate_document_delete", args=[document.pk])
            self.admin.post(url, {"post": "yes"})

    @rule(person=st.integers(0, 2))
    def admin_deletes_a_user(self, person):
        """Refused while they have assignments (their work is kept); done otherwise."""
        if user := self.person(person):
            url = reverse("admin:auth_user_delete", args=[user.pk])
            self.admin.post(url, {"post": "yes"})

    @rule()
    def admin_deletes_another_project(self):
        self.made += 1
        other, _ = Project.objects.get_or_create_with_labels(f"other{self.made}")
        document = make_document(other, text=f"Another article {self.made}.")
        queue.next_assignment(project=other, user=self.root)
        Assignment.objects.create(
            document=document, annotator=make_user(f"o{self.made}")
        )
        url = reverse("admin:annotate_project_delete", args=[other.pk])
        self.admin.post(url, {"post": "yes"})
        assert not Project.objects.filter(pk=other.pk).exists()

    @invariant()
    def counters_equal_counts(self):
        slots_are_counted()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)


def _empty_inlines() -> dict:
    """The management forms of the assignment page's inlines, all empty."""
    return {
        f"{prefix}-{field}": value
        for prefix in ("spans", "stances", "ratings", "review_events")
        for field, value in (
            ("TOTAL_FORMS", 0),
            ("INITIAL_FORMS", 0),
            ("MIN_NUM_FORMS", 0),
            ("MAX_NUM_FORMS", 1000),
        )
    }


@pytest.mark.django_db
def test_counters_equal_real_counts_after_any_sequence_of_changes():
    Counters.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    Counters.TestCase().runTest()


@pytest.mark.django_db
def test_deleting_an_assignment_in_the_admin_frees_its_slot(admin_client, project):
    """The defect of old: the admin's delete left assignment_count one too high, so
    with overlap 1 the document was never handed out again."""
    project.overlap = 1
    project.save()
    document = make_document(project)
    first, second = make_user("first"), make_user("second")
    taken = queue.next_assignment(project=project, user=first)
    url = reverse("admin:annotate_assignment_delete", args=[taken.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    document.refresh_from_db()
    assert document.assignment_count == 0
    assert queue.next_assignment(project=project, user=second).document == document
