"""Who may make projects, and a project's members: roles, deactivation, reactivation.

Deactivating a member closes the project to them (their membership is kept, marked
inactive, so the role is there for a reactivation) and, when no other project is
open to them, the account itself (user.is_active = False: they can no longer log in,
and a session they have open ends at its next request). Staff and superuser accounts
are never closed this way: they run the installation; nor is an account reopened
that an administrator closed. Nothing they did is touched:
their assignments, spans, stances and ratings stay, counted and exported.
"""

from __future__ import annotations

from django.db import transaction

from annotate.models import Membership
from annotate.projects import SetupError

# Members of this auth group (made by migration 0015, managed in the admin) may make
# projects from the web, as superusers may.
PROJECT_CREATORS = "project creators"


def can_create_projects(user) -> bool:
    return user.is_superuser or user.groups.filter(name=PROJECT_CREATORS).exists()


def _not_yourself(membership: Membership, by) -> None:
    if membership.user_id == by.pk and not by.is_superuser:
        raise SetupError("You cannot change your own membership: ask another manager.")


@transaction.atomic
def change_role(*, membership: Membership, role: str, by) -> None:
    _not_yourself(membership, by)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def deactivate(*, membership: Membership, by) -> bool:
    """Close the project to the member; True when their account was closed too
    (no other project is open to them)."""
    _not_yourself(membership, by)
    membership.is_active = False
    user = membership.user
    others_open = (
        Membership.objects.active().filter(user=user).exclude(pk=membership.pk)
    )
    membership.closed_account = not (
        user.is_staff or user.is_superuser or not user.is_active or others_open.exists()
    )
    membership.save(update_fields=["is_active", "closed_account"])
    if membership.closed_account:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return membership.closed_account


@transaction.atomic
def reactivate(*, membership: Membership) -> bool:
    """Open the project to the member again, with the role they had. Their account
    is reopened when a deactivation closed it; False when it stays closed (an
    administrator closed it)."""
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    user = membership.user
    if user.is_active:
        return True
    closed_here = Membership.objects.filter(user=user, closed_account=True)
    if not closed_here.exists():
        return False
    closed_here.update(closed_account=False)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return True
