"""Who labels what next: an unfinished assignment of theirs first, else a document
that still has a free slot (fewer than `overlap` annotators) and is not yet theirs.

Candidate documents are taken with SELECT ... FOR UPDATE SKIP LOCKED, so annotators
pressing next at once each get a different document without waiting on one another,
and the slot count lives on the document row itself (kept by the database's triggers
on annotate_assignment): a row locked and re-checked after another transaction's
commit sees that transaction's count, so no document ever gets more than `overlap`
annotators.

Documents are handed out in id order from where the annotator left off (after the
highest document they hold), so `next` does not walk past everything they have done;
a document freed behind them (a peer's skip) comes once nothing is left ahead.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from annotate import webhooks
from annotate.models import Assignment, Document, Project


def next_assignment(*, project: Project, user) -> Assignment | None:
    """The assignment `user` should work on next in `project`, or None when all is done."""
    unfinished = (
        Assignment.objects.by(user)
        .open()
        .filter(document__project=project)
        .order_by("id")
        .first()
    )
    if unfinished is not None:
        return unfinished
    with transaction.atomic():
        theirs = Assignment.objects.filter(
            document=OuterRef("pk"), annotator=user, is_gold=False
        )
        free = (
            Document.objects.for_project(project)
            .filter(assignment_count__lt=project.overlap)
            .exclude(Exists(theirs))
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))
            .only("id")
        )
        left_off = _left_off(project, user)
        document = free.filter(id__gt=left_off).first()
        if document is None and left_off:
            document = free.first()
        if document is None:
            return None
        # The insert's trigger counts the slot on the locked document row.
        return Assignment.objects.create(document=document, annotator=user)


def _left_off(project: Project, user) -> int:
    """The highest document of the project the user holds, or 0: one step down the
    assignment_annotator_document index."""
    held = (
        Assignment.objects.filter(
            annotator=user, is_gold=False, document__project=project
        )
        .order_by("-document_id")
        .values_list("document_id", flat=True)
        .first()
    )
    return held or 0


def release(assignment: Assignment) -> None:
    """Give a skipped document's slot back, so someone else can label it (the
    status change's trigger frees the slot)."""
    assignment.skip()


def submit(assignment: Assignment) -> None:
    """Submit (again, after a rejection) and tell the project's webhooks."""
    with transaction.atomic():
        assignment.submit()
        payload = {"version": assignment.pk, "document": assignment.document_id}
        payload["annotator"] = assignment.annotator.username
        webhooks.notify(assignment.document.project_id, "document.submitted", payload)


def progress(*, project: Project, user) -> dict[str, int]:
    """Done / assigned for the user, and the project's size: the progress line."""
    mine = Assignment.objects.by(user).filter(document__project=project)
    return {
        "done": mine.filter(status=Assignment.Status.SUBMITTED).count(),
        "assigned": mine.exclude(status=Assignment.Status.SKIPPED).count(),
        "total": project.document_count,
    }
