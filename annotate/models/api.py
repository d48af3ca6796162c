"""The API's own records: personal tokens, and the webhooks a project's managers
register with every delivery made to them."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

TOKEN_PREFIX = "nwa_"
# The visible start of a token (its prefix and a few characters), shown in lists so a
# user can tell their tokens apart without the token itself being kept.
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256. A token is 32 random bytes, so a fast
    hash is enough (no guessable password to stretch)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def issue(self, *, user, name: str) -> tuple[ApiToken, str]:
        """A new token for `user`: the row and the token itself, which is shown once
        and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = self.create(
            user=user,
            name=name.strip()[:100],
            shown=token[:SHOWN_CHARACTERS],
            digest=token_digest(token),
        )
        return row, token


class ApiToken(models.Model):
    """A personal token for the API (Authorization: Bearer), named by its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    shown = models.CharField(max_length=20, help_text="The token's first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    # last_used_at is written at most this often, not on every request.
    USE_RECORDED_EVERY = 60

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.shown}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def record_use(self) -> None:
        now = timezone.now()
        last = self.last_used_at
        if last is None or (now - last).total_seconds() >= self.USE_RECORDED_EVERY:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class Webhook(models.Model):
    """A URL told of a project's events, each delivery signed with `secret`."""

    class Event(models.TextChoices):
        DOCUMENT_SUBMITTED = "document.submitted"
        VERSION_ACCEPTED = "version.accepted"
        VERSION_REJECTED = "version.rejected"
        GOLD_CHANGED = "gold.changed"
        IMPORT_FINISHED = "import.finished"
        EXPORT_FINISHED = "export.finished"

    project = models.ForeignKey(
        "Project", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=Event.choices))
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "active"], name="webhook_project")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


class Delivery(models.Model):
    """One event sent (or to be sent) to one webhook: the task worker's log."""

    class Status(models.TextChoices):
        PENDING = "pending"  # queued, or waiting for its next attempt
        DELIVERED = "delivered"
        FAILED = "failed"  # every attempt failed: given up

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} to {self.webhook_id}: {self.status}"


class ApiWriteCount(models.Model):
    """Writes made with one token (or session user) in one window of the API's rate
    limit: counted in PostgreSQL, shared by every app server, one statement a write."""

    who = models.CharField(max_length=40)
    window = models.BigIntegerField(
        help_text="The window's number: Unix time // length."
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["who", "window"], name="apiwritecount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.who} · {self.window}: {self.count}"

    @classmethod
    def add_one(cls, who: str, window: int) -> int:
        """Count a write; returns the window's count so far, this one included."""
        table = cls._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO {table} (who, "window", count) VALUES (%s, %s, 1) '
                f'ON CONFLICT (who, "window") DO UPDATE SET count = {table}.count + 1 '
                "RETURNING count",
                [who, window],
            )
            count = cursor.fetchone()[0]
        if count == 1:  # a new window: the caller's older ones are done with
            cls.objects.filter(who=who, window__lt=window).delete()
        return count
