"""A project's statistics as last computed, so the statistics page need not recompute
them (annotate/quality/statistics.py): stale-while-revalidate.

A table rather than the cache: the `default` cache is per process (LocMem), and the
database cache would need `createcachetable` and gives no atomic "claim the refresh"
step. A row is shared by every app server and task worker, is migrated like the rest,
and one conditional UPDATE of refresh_requested_at makes sure many reviewers opening a
stale page queue one refresh task, not one each.
"""

from __future__ import annotations

import pickle
from datetime import timedelta

from django.db import models
from django.utils import timezone

# Bump when ProjectStatistics or the chart dataclasses change shape: snapshots of
# another format are not unpickled but recomputed.
SNAPSHOT_FORMAT = 1
# A claimed refresh whose task has not answered within this time (a worker died, the
# task failed) no longer blocks a new one.
REFRESH_CLAIM_TIMEOUT = timedelta(minutes=15)


class StatisticsSnapshot(models.Model):
    project = models.OneToOneField(
        "Project", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The pickled ProjectStatistics; empty until the first computation finishes. Only
    # this app writes it, so unpickling it trusts no one the database does not.
    payload = models.BinaryField(null=True, editable=False)
    format = models.PositiveSmallIntegerField(default=SNAPSHOT_FORMAT)
    # When the computation started: the figures are those of the data at that time.
    computed_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(default=0, help_text="Seconds the computation took.")
    documents = models.PositiveIntegerField(
        default=0, help_text="Documents in the project when computed."
    )
    # Set when a refresh task is queued, cleared by the computation that answers it.
    refresh_requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"statistics of project #{self.project_id}"

    def statistics(self):
        """The stored ProjectStatistics, or None if none of this code's format is kept
        (not computed yet, or written by an older version of the dataclasses)."""
        if self.payload is None or self.format != SNAPSHOT_FORMAT:
            return None
        try:
            return pickle.loads(self.payload)
        except (pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None

    def age(self) -> timedelta | None:
        return timezone.now() - self.computed_at if self.computed_at else None

    def is_fresh(self, max_age: float) -> bool:
        age = self.age()
        return age is not None and age.total_seconds() < max_age

    @property
    def refreshing(self) -> bool:
        """A refresh task is queued or running, and not given up on."""
        return (
            self.refresh_requested_at is not None
            and timezone.now() - self.refresh_requested_at < REFRESH_CLAIM_TIMEOUT
        )
