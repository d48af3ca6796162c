"""The invitation link: open to anyone holding it, logged in or not.

Logged out, the invitee takes a new account (username, password checked by Django's
validators) and lands in the project, logged in; an invitation for an account that
exists asks them to log in first. Logged in, one button joins the project: the link
is not used up by merely opening it, which mail scanners that follow links would
otherwise do. A used, withdrawn, expired or unknown link says which, and what next.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from annotate.models import Invitation
from annotate.projects import SetupError, invitations
from annotate.projects.invitations import InvitationClosed
from annotate.views.forms import AccountForm
from annotate.views.htmx import HtmxHttpRequest

TEMPLATE = "annotate/invitation.html"
UNKNOWN = (
    "This invitation link is not valid. Check that you copied all of it, or ask the "
    "project's manager for a new one."
)


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_open(request: HtmxHttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.for_token(token)
    if invitation is None:
        return render(request, TEMPLATE, {"problem": UNKNOWN}, status=404)
    if reason := invitations.closed_reason(invitation):
        return _closed(request, invitation, reason)
    if request.user.is_authenticated:
        return _join(request, invitation)
    return _new_account(request, invitation)


def _closed(
    request: HtmxHttpRequest, invitation: Invitation, reason: str
) -> HttpResponse:
    context = {"problem": reason, "invitation": invitation}
    return render(request, TEMPLATE, context, status=410)


def _join(request: HtmxHttpRequest, invitation: Invitation) -> HttpResponse:
    if reason := invitations.wrong_account(invitation, request.user):
        return render(
            request, TEMPLATE, {"problem": reason, "invitation": invitation}, status=403
        )
    if request.method == "POST":
        try:
            invitations.accept(invitation=invitation, user=request.user)
        except InvitationClosed as closed:
            return _closed(request, invitation, str(closed))
        return _landed(request, invitation)
    return render(request, TEMPLATE, {"invitation": invitation, "join": True})


def _new_account(request: HtmxHttpRequest, invitation: Invitation) -> HttpResponse:
    named = invitation.username and (
        get_user_model().objects.filter(username__iexact=invitation.username).exists()
    )
    context = {"invitation": invitation, "login_next": request.get_full_path()}
    if named:  # for an account that exists: its owner logs in, then joins
        return render(request, TEMPLATE, {**context, "log_in_first": True})
    form = AccountForm(
        request.POST or None,
        initial={"username": invitation.username, "email": invitation.email},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept_with_new_account(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
            )
        except InvitationClosed as closed:
            return _closed(request, invitation, str(closed))
        except SetupError as refusal:
            form.add_error("username", str(refusal))
        else:
            login(request, user)
            return _landed(request, invitation)
    status = 400 if request.method == "POST" else 200
    return render(request, TEMPLATE, {**context, "form": form}, status=status)


def _landed(request: HtmxHttpRequest, invitation: Invitation) -> HttpResponse:
    messages.success(
        request,
        f"Welcome to {invitation.project.name}. Your role here: {invitation.role}.",
    )
    return redirect("annotate:document-list", slug=invitation.project.slug)
