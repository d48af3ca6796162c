"""The people of the manage page: invite someone, change a member's role, deactivate
and reactivate members, withdraw an invitation. Plain POSTs that redirect back to
the page's people section; a refused one draws the page again with 400 and why."""

from __future__ import annotations

import smtplib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotate.access import ProjectAccess, Role, project_access
from annotate.models import Invitation, Membership
from annotate.projects import SetupError, invitations, people
from annotate.views.forms import InviteForm, RoleForm
from annotate.views.htmx import HtmxHttpRequest, form_problems
from annotate.views.manage import NEW_INVITATION, manage_page


def _back(access: ProjectAccess) -> HttpResponse:
    return redirect(reverse("annotate:manage", args=[access.project.slug]) + "#people")


@require_POST
def invite(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return manage_page(
            request, access, bound={"invite": (form, form_problems(form))}, status=400
        )
    try:
        made = invitations.invite(
            project=access.project,
            role=form.cleaned_data["role"],
            invited_by=request.user,
            **form.cleaned_data["who"],
        )
    except SetupError as refusal:
        return manage_page(
            request, access, bound={"invite": (form, str(refusal))}, status=400
        )
    invitation = made.invitation
    link = request.build_absolute_uri(reverse("annotate:invitation", args=[made.token]))
    mailed, mail_error = False, ""
    try:
        mailed = invitations.send_invitation(invitation=invitation, link=link)
    except (smtplib.SMTPException, OSError) as error:
        mail_error = f"It could not be e-mailed ({error}): copy the link instead."
    # The link is shown once, on the page after this POST: only its hash is kept.
    request.session[NEW_INVITATION] = {
        "link": link,
        "invitee": invitation.invitee,
        "role": invitation.role,
        "expires_at": f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC",
        "email": invitation.email if mailed else "",
        "mail_out": invitations.mail_goes_out(),
        "mail_error": mail_error,
        "withdrawn": made.withdrawn,
    }
    return _back(access)


@require_POST
def member_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), project=access.project, pk=pk
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_problems(form))
        return manage_page(request, access, status=400)
    name = membership.user.username
    try:
        match form.cleaned_data["op"]:
            case "role":
                role = form.cleaned_data["role"]
                people.change_role(membership=membership, role=role, by=request.user)
                messages.success(request, f"{name} is now {role}.")
            case "deactivate":
                closed = people.deactivate(membership=membership, by=request.user)
                messages.success(
                    request,
                    f"{name} is deactivated here; their work stays."
                    + (" No other project is open to them, so they can no longer log in."
                       if closed else ""),
                )  # fmt: skip
            case _:
                reopened = people.reactivate(membership=membership)
                messages.success(
                    request,
                    f"{name} is back as {membership.role}."
                    + ("" if reopened else " Their account was closed by an "
                       "administrator and stays closed until one reopens it."),
                )  # fmt: skip
    except SetupError as refusal:
        messages.error(request, str(refusal))
        return manage_page(request, access, status=400)
    return _back(access)


@require_POST
def invitation_revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    invitation = get_object_or_404(Invitation, project=access.project, pk=pk)
    if invitation.state == Invitation.State.PENDING:
        invitation.revoke()
        messages.success(request, f"Withdrew the invitation for {invitation.invitee}.")
    else:
        messages.info(
            request,
            f"The invitation for {invitation.invitee} was already {invitation.state}.",
        )
    return _back(access)
