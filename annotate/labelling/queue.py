"""Who labels what next, and an annotator's own work by state (My work).

`next` serves, in order: (a) the annotator's versions a reviewer rejected and they
have not resubmitted, oldest rejection first; (b) documents a manager assigned to them
that they have not opened yet; (c) a document that still has a free slot (fewer than
`overlap` annotators) and is not yet theirs. Documents they have open are not handed
back: "Next" leaves the current one open (it stays under My work) and moves on.

New documents are taken with SELECT ... FOR UPDATE SKIP LOCKED, so annotators pressing
next at once each get a different document without waiting on one another, and the
slot count lives on the document row itself (kept by the database's triggers on
annotate_assignment): a row locked and re-checked after another transaction's commit
sees that transaction's count, so no document ever gets more than `overlap` annotators.

New documents are handed out in id order from where the annotator left off (after the
highest document they hold), so `next` does not walk past everything they have done;
a document freed behind them (a peer's skip) comes once nothing is left ahead. A project
ordered by uncertainty hands out instead the free document whose newest Prediction is
least confident (annotate.models.Prediction.uncertainty), those without one last.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from annotate import webhooks
from annotate.labelling import predicted
from annotate.models import Assignment, Document, Project

Status, ReviewState = Assignment.Status, Assignment.ReviewState
# Project.queue_order: new documents by the models' uncertainty, not import order.
UNCERTAINTY = "uncertainty"

# An annotator's versions by state, as My work shows them; skipped ones are given back
# and listed nowhere. The four are disjoint.
STATES: dict[str, Q] = {
    "in_progress": Q(status=Status.ASSIGNED, review_state=ReviewState.PENDING),
    "submitted": Q(status=Status.SUBMITTED, review_state=ReviewState.PENDING),
    "returned": Q(review_state=ReviewState.REJECTED) & ~Q(status=Status.SKIPPED),
    "accepted": Q(review_state=ReviewState.ACCEPTED) & ~Q(status=Status.SKIPPED),
}
STATE_NAMES = {
    "in_progress": "In progress",
    "submitted": "Submitted",
    "returned": "Returned to you",
    "accepted": "Accepted",
}


def state_of(assignment: Assignment) -> str:
    """Which of STATES one of the annotator's versions is in (not skipped)."""
    if assignment.review_state == ReviewState.REJECTED:
        return "returned"
    if assignment.review_state == ReviewState.ACCEPTED:
        return "accepted"
    return "submitted" if assignment.status == Status.SUBMITTED else "in_progress"


def work_of(*, project: Project, user) -> QuerySet[Assignment]:
    """The user's own versions in the project (gold and skipped ones aside)."""
    return (
        Assignment.objects.by(user)
        .filter(document__project=project)
        .exclude(status=Status.SKIPPED)
    )


def work_counts(*, project: Project, user) -> dict[str, int]:
    """How many of the user's versions are in each state, in one query."""
    counts = work_of(project=project, user=user).aggregate(
        **{state: Count("id", filter=where) for state, where in STATES.items()}
    )
    return {**counts, "all": sum(counts.values())}


def next_assignment(
    *, project: Project, user, after: Assignment | None = None
) -> Assignment | None:
    """The assignment `user` should work on next in `project`, or None when nothing is
    left. `after` is the one they are leaving: never handed back, and when it is a
    returned one, the returned ones before it are passed over too, so pressing Next
    walks through them instead of between the first two."""
    mine = Assignment.objects.by(user).filter(document__project=project)
    if after is not None:
        mine = mine.exclude(pk=after.pk)
    returned = mine.filter(STATES["returned"])
    if after is not None and after.review_state == ReviewState.REJECTED:
        returned = returned.filter(_later_than(after))
    found = returned.order_by("reviewed_at", "pk").first()
    if found is None:
        found = (
            mine.filter(STATES["in_progress"])
            .filter(assigned_by__isnull=False, opened_at__isnull=True)
            .order_by("pk")
            .first()
        )
    return found or _new_assignment(project=project, user=user)


def _later_than(rejected: Assignment) -> Q:
    """Rejections after this one in (reviewed_at, pk) order; an undated one (restored
    from another installation) sorts last, as PostgreSQL sorts NULL."""
    undated = Q(reviewed_at__isnull=True)
    if rejected.reviewed_at is None:
        return undated & Q(pk__gt=rejected.pk)
    when = rejected.reviewed_at
    return Q(reviewed_at__gt=when) | Q(reviewed_at=when, pk__gt=rejected.pk) | undated


def _new_assignment(*, project: Project, user) -> Assignment | None:
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
        if project.queue_order == UNCERTAINTY:
            document = _least_confident_first(free).first()
        else:
            left_off = _left_off(project, user)
            document = free.filter(id__gt=left_off).first()
            if document is None and left_off:
                document = free.first()
        if document is None:
            return None
        # The insert's trigger counts the slot on the locked document row.
        return Assignment.objects.create(document=document, annotator=user)


def _least_confident_first(free: QuerySet[Document]) -> QuerySet[Document]:
    """The free documents by their newest prediction's uncertainty (kept on the
    document by triggers), least confident first; documents without one after them,
    in import order."""
    return free.order_by(F("prediction_uncertainty").desc(nulls_last=True), "id")


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


def mark_opened(assignment: Assignment) -> None:
    """Record the first time its annotator opens it: a manager's direct assignment is
    served by `next` until then. One UPDATE, the first time only."""
    if assignment.opened_at is None:
        assignment.opened_at = timezone.now()
        Assignment.objects.filter(pk=assignment.pk, opened_at__isnull=True).update(
            opened_at=assignment.opened_at
        )


def release(assignment: Assignment) -> None:
    """Give a skipped document's slot back, so someone else can label it (the
    status change's trigger frees the slot)."""
    assignment.skip()


def submit(assignment: Assignment) -> None:
    """Submit (again, after a rejection) and tell the project's webhooks."""
    with transaction.atomic():
        assignment.submit()
        predicted.settle(assignment)  # each prediction shown: accepted, ..., ignored
        payload = {"version": assignment.pk, "document": assignment.document_id}
        payload["annotator"] = assignment.annotator.username
        webhooks.notify(assignment.document.project_id, "document.submitted", payload)


def progress(*, project: Project, user) -> dict[str, int]:
    """Done / assigned for the user, and the project's size: the progress line."""
    mine = Assignment.objects.by(user).filter(document__project=project)
    counts = mine.aggregate(
        done=Count("id", filter=Q(status=Status.SUBMITTED)),
        assigned=Count("id", filter=~Q(status=Status.SKIPPED)),
    )
    return {**counts, "total": project.document_count}
