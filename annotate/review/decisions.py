"""Review decisions on assignments: accept, reject, or send back for re-annotation.

The admin's bulk actions and the review screen both call these functions, so every
decision, wherever it is made, writes a ReviewEvent (who, when, from what) in the same
transaction as the change itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from annotate import webhooks
from annotate.assist import tasks as assist_tasks
from annotate.models import Assignment, Membership, Project, ReviewEvent

Action = ReviewEvent.Action
Via = ReviewEvent.Via
Status = Assignment.Status
ReviewState = Assignment.ReviewState

# The statuses each action applies to; the others are left as they are and counted.
APPLIES_TO = {
    Action.ACCEPT: {Status.SUBMITTED},
    Action.REJECT: {Status.SUBMITTED},
    Action.REOPEN: {Status.SUBMITTED, Status.SKIPPED},
}
REVIEW_STATE_AFTER = {
    Action.ACCEPT: ReviewState.ACCEPTED,
    Action.REJECT: ReviewState.REJECTED,
    Action.REOPEN: ReviewState.PENDING,
}


def reviewable_projects(user) -> QuerySet[Project]:
    """Projects where the user is an active reviewer or manager; every project for
    superusers."""
    if user.is_superuser:
        return Project.objects.all()
    if not user.is_active:
        return Project.objects.none()
    return Project.objects.filter(
        memberships__user=user,
        memberships__is_active=True,  # a deactivated member reviews nothing there
        memberships__role__in=[Membership.Role.REVIEWER, Membership.Role.MANAGER],
    )


@dataclass(frozen=True)
class ReviewOutcome:
    changed: int
    # not submitted (or, for re-annotation, already open) or gold: left untouched
    unchanged: int


def review_assignments(
    assignments: QuerySet[Assignment],
    *,
    action: str,
    actor,
    comment: str = "",
    via: str,
) -> ReviewOutcome:
    """Apply one review action to many assignments, each recorded as a ReviewEvent.

    Raises PermissionDenied, changing nothing, when any assignment belongs to a project
    the actor does not review. Three queries whatever the number of assignments.
    """
    action = Action(action)
    with transaction.atomic():
        rows = list(
            assignments.select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "status", "review_state", "is_gold", "document__project")
        )
        allowed = set(reviewable_projects(actor).values_list("pk", flat=True))
        if any(project not in allowed for *_, project in rows):
            raise PermissionDenied("You do not review every project of these.")
        targets = [row for row in rows if row[1] in APPLIES_TO[action] and not row[3]]
        if targets:
            _record(targets, action=action, actor=actor, comment=comment, via=via)
    return ReviewOutcome(changed=len(targets), unchanged=len(rows) - len(targets))


def _record(targets: list[tuple], *, action: Action, actor, comment: str, via: str):
    now = timezone.now()
    changes = {
        "review_state": REVIEW_STATE_AFTER[action],
        "reviewer": actor,
        "review_comment": comment,
        "reviewed_at": now,
        "version": F("version") + 1,
        "updated_at": now,
    }
    if action == Action.REOPEN:
        changes["status"] = Status.ASSIGNED
    Assignment.objects.filter(pk__in=[row[0] for row in targets]).update(**changes)
    ReviewEvent.objects.bulk_create(
        ReviewEvent(
            assignment_id=pk,
            actor=actor,
            action=action,
            via=via,
            comment=comment,
            previous_status=status,
            previous_review_state=review_state,
        )
        for pk, status, review_state, *_ in targets
    )
    _notify(targets, action=action, actor=actor, comment=comment)
    if action == Action.ACCEPT:  # the recommenders retrain every N accepted documents
        for project in {row[4] for row in targets}:
            transaction.on_commit(lambda p=project: assist_tasks.train_if_due(p))


EVENTS = {Action.ACCEPT: "version.accepted", Action.REJECT: "version.rejected"}


def _notify(targets: list[tuple], *, action: Action, actor, comment: str) -> None:
    """Tell each project's webhooks of the accepted or rejected versions."""
    if action not in EVENTS:
        return
    documents = dict(
        Assignment.objects.filter(pk__in=[row[0] for row in targets]).values_list(
            "pk", "document_id"
        )
    )
    by_project: dict[int, list[dict]] = {}
    for pk, *_, project in targets:
        by_project.setdefault(project, []).append(
            {"version": pk, "document": documents.get(pk), "reviewer": actor.username,
             "comment": comment}
        )  # fmt: skip
    for project, payloads in by_project.items():
        webhooks.notify_many(project, EVENTS[action], payloads)


def _review_one(
    assignment: Assignment, *, action: str, actor, comment: str, via: str
) -> bool:
    outcome = review_assignments(
        Assignment.objects.filter(pk=assignment.pk),
        action=action,
        actor=actor,
        comment=comment,
        via=via,
    )
    assignment.refresh_from_db()
    return bool(outcome.changed)


def accept(
    assignment: Assignment, *, reviewer, comment: str = "", via: str = Via.REVIEW
) -> bool:
    """Accept a submitted assignment; False when it was not submitted."""
    return _review_one(
        assignment, action=Action.ACCEPT, actor=reviewer, comment=comment, via=via
    )


def reject(
    assignment: Assignment, *, reviewer, comment: str = "", via: str = Via.REVIEW
) -> bool:
    """Reject a submitted assignment; False when it was not submitted."""
    return _review_one(
        assignment, action=Action.REJECT, actor=reviewer, comment=comment, via=via
    )


def reopen(
    assignment: Assignment, *, reviewer, comment: str = "", via: str = Via.REVIEW
) -> bool:
    """Send an assignment back to its annotator: status assigned, review pending.

    Its spans, stances and ratings stay, for the annotator to correct.
    """
    return _review_one(
        assignment, action=Action.REOPEN, actor=reviewer, comment=comment, via=via
    )
