"""What models say about documents, kept apart from what people say: one Prediction per
document and model version (from an import, the API, a recommender trained on the
project's labels, or an external model server), and what annotators did with each
predicted item (PredictionOutcome). Predictions are never annotations: they are not
counted, not reviewed, and not exported as labels unless asked."""

from __future__ import annotations

from django.db import models


class Prediction(models.Model):
    """One model version's predictions for one document.

    `spans`: [{"start", "end", "label", "text", "score"}] (code-point offsets, label by
    name); `stances`: [{"target", "probabilities": {label name: p}}]; `ratings`:
    [{"source", "role", "label", "score"}]. `uncertainty` (0 sure … 1 unsure) orders
    uncertainty-first queues.
    """

    document = models.ForeignKey(
        "Document", on_delete=models.CASCADE, related_name="predictions"
    )
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=100)
    spans = models.JSONField(default=list, blank=True)
    stances = models.JSONField(default=list, blank=True)
    ratings = models.JSONField(default=list, blank=True)
    uncertainty = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "model_name", "model_version"],
                name="prediction_unique_version",
            )
        ]
        indexes = [
            models.Index(
                fields=["model_name", "model_version"], name="prediction_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name} {self.model_version} on {self.document_id}"


class PredictionOutcome(models.Model):
    """What one annotator did with one predicted item."""

    class Fate(models.TextChoices):
        ACCEPTED = "accepted"
        CORRECTED = "corrected"  # accepted, then its label or extent changed
        DISMISSED = "dismissed"
        IGNORED = "ignored"  # submitted without acting on it

    prediction = models.ForeignKey(
        Prediction, on_delete=models.CASCADE, related_name="outcomes"
    )
    assignment = models.ForeignKey(
        "Assignment", on_delete=models.CASCADE, related_name="prediction_outcomes"
    )
    kind = models.CharField(max_length=20)  # "span", "stance" or "rating"
    key = models.CharField(max_length=400)  # "start-end-label", a target, a source
    fate = models.CharField(max_length=20, choices=Fate.choices)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prediction", "assignment", "kind", "key"],
                name="predictionoutcome_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.fate}"


class ModelServerEvent(models.Model):
    """One thing that happened talking to a project's external model server (a failed
    health check, a timeout, a malformed answer, a run of predictions stored), shown on
    the project's model page: a bad server is logged there, never a broken screen."""

    class Level(models.TextChoices):
        INFO = "info"
        ERROR = "error"

    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="model_server_events"
    )
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    step = models.CharField(max_length=20)  # "health", "setup", "predict", "train"
    message = models.TextField()
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["project", "-at"], name="modelserverevent_recent")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.step}: {self.message[:60]}"
