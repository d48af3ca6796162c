"""The project screen for managers: settings, people, labels and stance targets.

Each region's changes post to views of their own (label_editor, people); every one
draws this page through `manage_page`, handing it the bound form of a refused change
so what was typed stays, with the reason beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.access import ProjectAccess, Role, project_access
from annotate.models import SCREEN_KEYS, Label, Webhook, next_colour
from annotate.projects.labels import key_warnings
from annotate.views.forms import (
    InviteForm,
    LabelRowForm,
    NewLabelForm,
    ProjectSettingsForm,
    TargetRowForm,
)
from annotate.views.htmx import HtmxHttpRequest

TEMPLATE = "annotate/manage.html"
KIND_TITLES = {
    Label.Kind.ENTITY: "Entity types",
    Label.Kind.STANCE: "Stance labels",
    Label.Kind.RELIABILITY: "Reliability scale (low to high by value)",
}
# Where a new invitation's link waits, in the session, for the page after the POST.
NEW_INVITATION = "newsapp:new-invitation"


@dataclass
class Row:
    """One editable thing on the page: its form, and what to say beside it."""

    item: object
    form: forms.Form
    error: str = ""
    warning: str = ""


@require_http_methods(["GET", "POST"])
def manage_project(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    if request.method == "POST":
        form = ProjectSettingsForm(request.POST, instance=access.project)
        if form.is_valid():
            form.save()
            messages.success(request, "Settings saved.")
            return redirect("annotate:manage", slug=slug)
        return manage_page(request, access, bound={"settings": (form, "")}, status=400)
    return manage_page(request, access)


def manage_page(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    *,
    bound: dict[str, tuple[forms.Form, str]] | None = None,
    part: str = "",
    message: str = "",
    level: str = "success",
    status: int = 200,
) -> HttpResponse:
    """The page, with `message` in the flash line of its region `part` (an inline
    partial: label-editor, target-editor); for htmx, that region alone. `bound` maps
    a form's key ("settings", "invite", "new-label-entity", "label-12",
    "new-target", "target-3") to the bound form that was refused and why."""
    context = _context(request, access, bound or {})
    context.update(message=message, level=level, flash_part=part)
    if request.htmx and part:
        return render(request, f"{TEMPLATE}#{part}", context, status=status)
    # Shown once, on the page drawn after the invitation was made.
    context["new_invitation"] = request.session.pop(NEW_INVITATION, None)
    return render(request, TEMPLATE, context, status=status)


def _context(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    bound: dict[str, tuple[forms.Form, str]],
) -> dict:
    project = access.project

    def row(key: str, item, make_form, warning: str = "") -> Row:
        if key in bound:
            form, error = bound[key]
            return Row(item, form, error, warning)
        return Row(item, make_form(), warning=warning)

    labels = list(project.labels.all())
    warnings = key_warnings(labels)
    label_groups = [
        {
            "kind": kind,
            "title": title,
            "rows": [
                row(
                    f"label-{label.pk}",
                    label,
                    lambda label=label: LabelRowForm(
                        initial=_label_initial(label), auto_id=f"label-{label.pk}-%s"
                    ),
                    warnings.get(label.pk, ""),
                )
                for label in labels
                if label.kind == kind
            ],
            "new": row(
                f"new-label-{kind}",
                None,
                lambda kind=kind: NewLabelForm(
                    initial={"kind": kind}, auto_id=f"new-{kind}-%s"
                ),
            ),
        }
        for kind, title in KIND_TITLES.items()
    ]
    targets = [
        row(
            f"target-{target.pk}",
            target,
            lambda target=target: TargetRowForm(
                initial={"name": target.name, "description": target.description},
                auto_id=f"target-{target.pk}-%s",
            ),
        )
        for target in project.stance_targets.all()
    ]
    members = (
        project.memberships.select_related("user")
        .annotate(
            work=Count(
                "user__assignments",
                filter=Q(
                    user__assignments__document__project=project,
                    user__assignments__is_gold=False,
                ),
            )
        )
        .order_by("-is_active", "user__username")
    )
    return {
        "access": access,
        "project": project,
        "settings_form": bound.get(
            "settings", (ProjectSettingsForm(instance=project),)
        )[0],
        "label_groups": label_groups,
        "next_colour": next_colour(project),
        "screen_keys": SCREEN_KEYS,
        "targets": targets,
        "new_target": row(
            "new-target", None, lambda: TargetRowForm(auto_id="new-target-%s")
        ),
        "members": members,
        "roles": Role.choices,
        "invitations": project.invitations.pending().select_related("invited_by"),
        "invite": row("invite", None, InviteForm),
        "webhooks": webhooks_with_deliveries(project),
    }


RECENT_DELIVERIES = 10


def webhooks_with_deliveries(project) -> list[Webhook]:
    """The project's webhooks, each with its latest deliveries (`recent`): their log."""
    hooks = list(project.webhooks.all())
    for hook in hooks:
        hook.recent = list(hook.deliveries.all()[:RECENT_DELIVERIES])
    return hooks


def _label_initial(label: Label) -> dict:
    return {
        "name": label.name,
        "colour": label.colour,
        "shortcut": label.shortcut,
        "value": label.value,
        "description": label.description,
    }
