"""Invitations: how a manager brings people into a project from the web.

A link carries a random token; only its SHA-256 is stored, so a database dump opens
no project. A link is used once: accepting it sets accepted_at, and a link that was
accepted, revoked or is past expires_at opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from annotate.models.projects import Membership, Project


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        """Neither accepted nor revoked, and not yet expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )

    def for_token(self, token: str) -> Invitation | None:
        """The invitation this link's token opens, whatever its state (None: no such
        link)."""
        return (
            self.select_related("project", "invited_by")
            .filter(token_hash=token_hash(token))
            .first()
        )


class Invitation(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"
        EXPIRED = "expired"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(
        max_length=20,
        choices=Membership.Role.choices,
        default=Membership.Role.ANNOTATOR,
    )
    # Whom it is for: an e-mail address (the link is mailed there), a username
    # (an account that exists, or the one the invitee is asked to take), or both.
    email = models.EmailField(blank=True)
    username = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(username=""),
                name="invitation_names_someone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitee} → {self.project} ({self.role})"

    @property
    def invitee(self) -> str:
        return self.username or self.email

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
