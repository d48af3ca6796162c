"""The audit trail of review decisions and of source merges: who did what, when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewEvent(models.Model):
    """One review decision on one assignment, from the admin or the review screen."""

    class Action(models.TextChoices):
        ACCEPT = "accept"
        REJECT = "reject"
        REOPEN = "reopen", "mark for re-annotation"

    class Via(models.TextChoices):
        ADMIN = "admin"
        REVIEW = "review", "review screen"
        RESTORE = "restore", "restore of a full export"

    assignment = models.ForeignKey(
        "Assignment", on_delete=models.CASCADE, related_name="review_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    via = models.CharField(max_length=20, choices=Via.choices)
    comment = models.TextField(blank=True)
    # What the assignment was before, so a decision can be read (and undone) later.
    previous_status = models.CharField(max_length=20)
    previous_review_state = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["assignment", "at"], name="reviewevent_assignment_at")
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} #{self.assignment_id}"


class SourceMerge(models.Model):
    """A source folded into another: what it was, and every rating that had to be folded.

    A rating that collided with one of the kept source's (same assignment and role) is
    removed from the ratings table but kept here whole, so nothing an annotator said is lost.
    """

    kept = models.ForeignKey("Source", on_delete=models.CASCADE, related_name="merges")
    merged_name = models.CharField(max_length=300)
    merged = models.JSONField(help_text="The merged source as it was.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved_ratings = models.PositiveIntegerField(default=0)
    moved_documents = models.PositiveIntegerField(default=0)
    folded_ratings = models.JSONField(
        default=list,
        help_text="Ratings that collided, each with the id of the rating it folded into.",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_name} into {self.kept}"
