"""The record of every import and export: who, when, what, and every rejected record;
and the heartbeat a background task keeps on the run it executes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, models
from django.db.models.functions import Now

logger = logging.getLogger(__name__)

# The reason a run gives when its worker died (kill -9, lost machine) and was not retried.
WORKER_STOPPED = "worker stopped"
# The runs whose heartbeat this process keeps, as (model name, pk): a reaper in the same
# process leaves them alone even when a database outage kept their stamps from landing.
BEATING_HERE: set[tuple[str, int]] = set()


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    project = models.ForeignKey("Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    format = models.CharField(max_length=30)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life of the worker running it (background runs only).",
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
        db_default=0,
        help_text="How many times it was queued again after its worker stopped.",
    )

    class Meta:
        abstract = True
        ordering = ["-started_at"]

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None

    @property
    def under_way(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def worker_stopped(self) -> bool:
        return self.status == self.Status.FAILED and self.error == WORKER_STOPPED

    @contextmanager
    def beating(self) -> Iterator[None]:
        """While the block runs, a thread stamps heartbeat_at every
        settings.TASK_HEARTBEAT_SECONDS, so a reaper can tell a live run from one whose
        worker is gone. The thread keeps beating through a database outage (it says so
        once) and ends with the block."""
        model = type(self)
        model.objects.filter(pk=self.pk).update(heartbeat_at=Now())
        stop = threading.Event()
        thread = threading.Thread(
            target=_beat,
            args=(model, self.pk, stop, settings.TASK_HEARTBEAT_SECONDS),
            name=f"heartbeat-{model.__name__}-{self.pk}",
            daemon=True,
        )
        key = (model.__name__, self.pk)
        BEATING_HERE.add(key)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            BEATING_HERE.discard(key)


def _beat(model: type[Run], pk: int, stop: threading.Event, every: float) -> None:
    failing = False
    try:
        while not stop.wait(every):
            try:
                model.objects.filter(pk=pk).update(heartbeat_at=Now())
            except DatabaseError as error:
                if not failing:
                    logger.warning(
                        "heartbeat of %s %s missed: %s", model.__name__, pk, error
                    )
                failing = True
                connections.close_all()
            else:
                failing = False
    finally:
        connections.close_all()


class ImportRun(Run):
    files = models.JSONField(default=list, help_text="The paths or upload names given.")
    strict = models.BooleanField(default=False)
    read = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # Duplicates whose annotations were merged into the document already there.
    merged = models.PositiveIntegerField(default=0, db_default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(
        default=list, help_text='[{"origin": "FILE:LINE", "reason": "..."}]'
    )

    def __str__(self) -> str:
        return f"import #{self.pk} into {self.project}"

    def summary(self) -> str:
        merged = f" ({self.merged} with annotations merged)" if self.merged else ""
        return (
            f"{self.read} read, {self.imported} imported, "
            f"{self.duplicates} duplicates{merged}, {self.rejected} rejected"
        )


class ExportRun(Run):
    options = models.JSONField(default=dict)
    lines = models.PositiveIntegerField(default=0)
    path = models.CharField(
        max_length=500, blank=True, help_text="The stored file, for later download."
    )
    warnings = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"export #{self.pk} of {self.project}"
