"""Invitations: a manager names someone (a username or an e-mail address) and a role;
the invitee opens a one-time link, takes an account (or uses the one they have) and
lands in the project with that role.

The link's token is made here and shown once (to the manager, and in the e-mail);
only its hash is stored (models.people). A link stops working when it is used,
revoked, or INVITATION_DAYS after it was made; inviting the same person again
withdraws their earlier link, so there is one live link per person and project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotate.models import Invitation, Membership, Project
from annotate.models.people import new_token, token_hash
from annotate.projects import SetupError

# Mail that goes nowhere a person reads: the invitation is shown to copy, not said sent.
UNSENT_MAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # the secret part of the link: shown once, never stored
    withdrawn: int  # earlier pending invitations of the same person, now revoked


def _existing_user(*, username: str, email: str):
    users = get_user_model().objects
    if username:
        return users.filter(username__iexact=username).first()
    return users.filter(email__iexact=email).first() if email else None


@transaction.atomic
def invite(
    *, project: Project, role: str, username: str = "", email: str = "", invited_by
) -> NewInvitation:
    """A new invitation to `project` for the person named by `username` and/or
    `email`; refused for someone who is already a member."""
    username, email = username.strip(), email.strip()
    if not username and not email:
        raise SetupError("Give a username or an e-mail address.")
    user = _existing_user(username=username, email=email)
    if user is not None:
        membership = Membership.objects.filter(user=user, project=project).first()
        if membership is not None and membership.is_active:
            raise SetupError(
                f"{user.username} is already a member ({membership.role}): "
                "change their role in the list of members."
            )
        if membership is not None:
            raise SetupError(
                f"{user.username} is a deactivated member: reactivate them in the "
                "list of members."
            )
    same_person = Q()
    if username:
        same_person |= Q(username__iexact=username)
    if email:
        same_person |= Q(email__iexact=email)
    withdrawn = (
        Invitation.objects.pending()
        .filter(same_person, project=project)
        .update(revoked_at=timezone.now())
    )
    token = new_token()
    invitation = Invitation.objects.create(
        project=project,
        role=role,
        username=username,
        email=email,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        invited_by=invited_by,
    )
    return NewInvitation(invitation, token, withdrawn)


def mail_goes_out() -> bool:
    """Whether the default mailer (MAILERS, from the EMAIL_* environment) sends mail
    somewhere a person reads it."""
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    return backend not in UNSENT_MAIL_BACKENDS


def send_invitation(*, invitation: Invitation, link: str) -> bool:
    """E-mail the link to the invitee's address, when there is one; True if sent."""
    if not invitation.email:
        return False
    inviter = invitation.invited_by.username if invitation.invited_by else "A manager"
    send_mail(
        subject=f"You are invited to {invitation.project.name}",
        message=(
            f"{inviter} invites you to the annotation project "
            f"{invitation.project.name} as {invitation.role}.\n\n"
            f"Open this link to join (it works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


class InvitationClosed(SetupError):
    """The link opens nothing any more: used, revoked or expired."""


def closed_reason(invitation: Invitation) -> str:
    """Why a link no longer works, in the words its opener reads ("" while open)."""
    inviter = invitation.invited_by.username if invitation.invited_by else "the manager"
    match invitation.state:
        case Invitation.State.ACCEPTED:
            return (
                f"This invitation was already used, on "
                f"{invitation.accepted_at:%Y-%m-%d}. If that was you, log in."
            )
        case Invitation.State.REVOKED:
            return (
                f"This invitation was withdrawn. Ask {inviter} for a new one if "
                "you still need it."
            )
        case Invitation.State.EXPIRED:
            return (
                f"This invitation expired on {invitation.expires_at:%Y-%m-%d}. "
                f"Ask {inviter} for a new one."
            )
    return ""


def wrong_account(invitation: Invitation, user) -> str:
    """Why `user` may not accept this invitation ("" when they may): one made for an
    existing account is for that account alone."""
    if not invitation.username:
        return ""
    named = get_user_model().objects.filter(username__iexact=invitation.username)
    if named.exists() and invitation.username.casefold() != user.username.casefold():
        return (
            f"This invitation is for the account {invitation.username}, and you are "
            f"logged in as {user.username}. Log out, then open the link again."
        )
    return ""


def _locked_open(invitation: Invitation) -> Invitation:
    """The invitation row, locked, so a link is used once however often it is
    posted; InvitationClosed when it opens nothing."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    locked.project = invitation.project
    locked.invited_by = invitation.invited_by
    if reason := closed_reason(locked):
        raise InvitationClosed(reason)
    return locked


def _join(invitation: Invitation, user) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user,
        project=invitation.project,
        defaults={"role": invitation.role, "is_active": True},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def accept(*, invitation: Invitation, user) -> Membership:
    """The logged-in `user` joins the project with the invitation's role."""
    invitation = _locked_open(invitation)
    if reason := wrong_account(invitation, user):
        raise SetupError(reason)
    return _join(invitation, user)


@transaction.atomic
def accept_with_new_account(
    *, invitation: Invitation, username: str, password: str, email: str = ""
):
    """A new account, with the password the invitee chose (already checked by
    Django's validators), joined to the project. Returns the user."""
    invitation = _locked_open(invitation)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=username, password=password, email=email or invitation.email
            )
    except IntegrityError as taken:
        raise SetupError(
            f"The username {username} was taken a moment ago: choose another."
        ) from taken
    _join(invitation, user)
    return user
