"""The record of every import and export: who, when, what, and every rejected record."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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

    class Meta:
        abstract = True
        ordering = ["-started_at"]

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


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
