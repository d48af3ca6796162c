"""The recommenders' runs (annotate/assist): one ModelRun per training of a project's
entity or stance model, kept with its data size, time taken, held-out scores and the
trained pipeline's file, so the statistics page can chart F1 against training size."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class ModelRunQuerySet(models.QuerySet):
    def for_project(self, project) -> ModelRunQuerySet:
        return self.filter(project=project)

    def done(self) -> ModelRunQuerySet:
        return self.filter(status=ModelRun.Status.DONE)

    def active(self) -> ModelRunQuerySet:
        return self.filter(status__in=[ModelRun.Status.QUEUED, ModelRun.Status.RUNNING])

    def serving(self, project, kind: str) -> ModelRun | None:
        """The run whose model serves the project's predictions of this kind: the
        newest finished one (a failed or unfinished run never replaces it)."""
        return (
            self.for_project(project).done().filter(kind=kind).order_by("-pk").first()
        )

    def stale(self, seconds: int) -> ModelRunQuerySet:
        """Running runs whose worker has not beaten for `seconds`: killed or hung."""
        return self.filter(
            status=ModelRun.Status.RUNNING,
            heartbeat_at__lt=timezone.now() - timedelta(seconds=seconds),
        )


class ModelRun(models.Model):
    """One training of a recommender on the project's gold and accepted versions.

    `metrics`: {"labels": {name: {"precision", "recall", "f1", "support"}},
    "micro": {...}, "macro_f1": float} measured on the held-out documents (a fixed slice
    of the project's documents chosen by a hash of their id, never trained on).
    """

    class Kind(models.TextChoices):
        ENTITIES = "entities"
        STANCE = "stance"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Train now"
        ACCEPTED = "accepted", "after newly accepted documents"

    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="model_runs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(
        max_length=20, choices=Trigger.choices, default=Trigger.MANUAL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField(blank=True, help_text="Why the run failed.")
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Beaten by the worker while it trains and predicts; a running run whose heartbeat
    # stops (the worker was killed) is marked failed by annotate.assist.runs.reap_stale.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    training_documents = models.PositiveIntegerField(default=0)
    heldout_documents = models.PositiveIntegerField(default=0)
    # How many accepted or gold documents the project had when the run was queued:
    # the next automatic run waits for Project.retrain_every more.
    accepted_documents = models.PositiveIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True, help_text="Training seconds.")
    metrics = models.JSONField(default=dict, blank=True)
    predicted_documents = models.PositiveIntegerField(default=0)
    model_path = models.CharField(
        max_length=500, blank=True, help_text="The trained pipeline under var/models/."
    )
    version = models.CharField(
        max_length=200, blank=True, help_text="The library and its version."
    )

    objects = ModelRunQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["project", "kind", "status"], name="modelrun_serving")
        ]

    def __str__(self) -> str:
        return f"{self.kind} run #{self.pk} of {self.project}"

    @property
    def model_name(self) -> str:
        """The name its predictions are stored under."""
        return f"newsapp-{self.kind}"

    @property
    def headline_f1(self) -> float | None:
        """Entities: micro span F1; stance: macro F1 over the classes."""
        key = "micro_f1" if self.kind == self.Kind.ENTITIES else "macro_f1"
        return self.metrics.get(key)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
