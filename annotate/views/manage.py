"""The project screen for managers: settings, members, labels and stance targets."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.access import Role, project_access
from annotate.models import Membership, Webhook
from annotate.views.forms import (
    LabelForm,
    MemberForm,
    ProjectSettingsForm,
    StanceTargetForm,
)
from annotate.views.htmx import HtmxHttpRequest


@require_http_methods(["GET", "POST"])
def manage_project(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    project = access.project
    action = request.POST.get("action", "")
    data = request.POST if request.method == "POST" else None
    forms = {
        "settings": ProjectSettingsForm(
            data if action == "settings" else None, instance=project
        ),
        "member": MemberForm(data if action == "member" else None),
        "label": LabelForm(data if action == "label" else None, project=project),
        "target": StanceTargetForm(
            data if action == "target" else None, project=project
        ),
    }
    if request.method == "POST":
        if action in forms and forms[action].is_valid():
            _save(action, forms[action], project)
            messages.success(request, "Saved.")
            return redirect("annotate:manage", slug=slug)
        if action.startswith("remove-"):
            _remove(request, project, action, request.POST.get("id", ""))
            return redirect("annotate:manage", slug=slug)
    context = {
        "access": access,
        "project": project,
        "forms": forms,
        "members": project.memberships.select_related("user").order_by(
            "user__username"
        ),
        "labels": project.labels.all(),
        "targets": project.stance_targets.all(),
        "webhooks": webhooks_with_deliveries(project),
    }
    return render(
        request,
        "annotate/manage.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


RECENT_DELIVERIES = 10


def webhooks_with_deliveries(project) -> list[Webhook]:
    """The project's webhooks, each with its latest deliveries (`recent`): their log."""
    hooks = list(project.webhooks.all())
    for hook in hooks:
        hook.recent = list(hook.deliveries.all()[:RECENT_DELIVERIES])
    return hooks


def _save(action: str, form, project) -> None:
    if action == "member":
        Membership.objects.update_or_create(
            user=form.cleaned_data["username"],
            project=project,
            defaults={"role": form.cleaned_data["role"]},
        )
    else:
        form.save()


def _remove(request: HtmxHttpRequest, project, action: str, pk: str) -> None:
    """Remove a member, a label or a target; labels and targets in use are kept."""
    kinds = {
        "remove-member": project.memberships,
        "remove-label": project.labels,
        "remove-target": project.stance_targets,
    }
    rows = kinds.get(action)
    if rows is None or not pk.isdigit():
        messages.error(request, "Nothing to remove.")
        return
    try:
        with transaction.atomic():
            deleted, _ = rows.filter(pk=pk).delete()
    except (ProtectedError, RestrictedError, IntegrityError):
        messages.error(request, "It is in use by annotations, so it stays.")
        return
    messages.success(request, "Removed." if deleted else "It was already gone.")
