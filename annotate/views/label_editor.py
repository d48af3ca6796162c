"""The label and stance-target editor of the manage page.

Each row is a form; its buttons say what to do (`op`: save, up, down, retire,
restore, delete). With htmx the editor's section is redrawn in place (its flash line
saying what happened); without, the page redirects back to itself. A refused change
draws the page (or the section) again with 400, the row as it was typed, and why.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotate.access import ProjectAccess, Role, project_access
from annotate.models import Label, StanceTarget
from annotate.projects import SetupError
from annotate.projects import labels as editor
from annotate.views.forms import LabelRowForm, NewLabelForm, TargetRowForm
from annotate.views.htmx import HtmxHttpRequest, form_problems
from annotate.views.manage import manage_page

LABELS, TARGETS = "label-editor", "target-editor"


def _done(
    request: HtmxHttpRequest, access: ProjectAccess, part: str, message: str
) -> HttpResponse:
    if request.htmx:
        return manage_page(request, access, part=part, message=message)
    if message:
        messages.success(request, message)
    return redirect(reverse("annotate:manage", args=[access.project.slug]) + f"#{part}")


def _refused(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    part: str,
    key: str,
    form: forms.Form,
    reason: str,
) -> HttpResponse:
    return manage_page(
        request,
        access,
        bound={key: (form, reason)},
        part=part,
        message=reason,
        level="error",
        status=400,
    )


# Labels


@require_POST
def label_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    kind = request.POST.get("kind", "")
    form = NewLabelForm(request.POST, auto_id=f"new-{kind}-%s")
    key = f"new-label-{kind if kind in Label.Kind.values else Label.Kind.ENTITY}"
    if not form.is_valid():
        return _refused(request, access, LABELS, key, form, form_problems(form))
    data = form.cleaned_data
    try:
        label = editor.add_label(
            project=access.project,
            kind=data["kind"],
            name=data["name"],
            colour=data["colour"],
            shortcut=data["shortcut"],
            value=data["value"],
            description=data["description"],
        )
    except SetupError as refusal:
        return _refused(request, access, LABELS, key, form, str(refusal))
    return _done(request, access, LABELS, f"Added the {label.kind} label {label.name}.")


@require_POST
def label_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    label = get_object_or_404(Label, project=access.project, pk=pk)
    label.project = access.project
    form = LabelRowForm(request.POST, auto_id=f"label-{pk}-%s")
    key = f"label-{pk}"
    if not form.is_valid():
        return _refused(request, access, LABELS, key, form, form_problems(form))
    data, name = form.cleaned_data, label.name
    try:
        match data["op"]:
            case "save":
                editor.change_label(
                    label=label,
                    name=data["name"],
                    colour=data["colour"],
                    shortcut=data["shortcut"],
                    value=data["value"],
                    description=data["description"],
                )
                message = f"Saved {label.name}."
            case "up" | "down":
                editor.move_label(label=label, step=-1 if data["op"] == "up" else 1)
                message = ""
            case "retire":
                editor.retire_label(label=label)
                message = (
                    f"Retired {name}: no longer offered on the annotation screen; "
                    "the work that uses it keeps it."
                )
            case "restore":
                message = editor.restore_label(label=label) or f"{name} is back."
            case _:
                editor.delete_label(label=label)
                message = f"Deleted {name}."
    except SetupError as refusal:
        return _refused(request, access, LABELS, key, form, str(refusal))
    return _done(request, access, LABELS, message)


# Stance targets


@require_POST
def target_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    form = TargetRowForm(request.POST, auto_id="new-target-%s")
    if not form.is_valid():
        return _refused(
            request, access, TARGETS, "new-target", form, form_problems(form)
        )
    try:
        target = editor.add_target(
            project=access.project,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
    except SetupError as refusal:
        return _refused(request, access, TARGETS, "new-target", form, str(refusal))
    return _done(request, access, TARGETS, f"Added the stance target {target.name}.")


@require_POST
def target_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    target = get_object_or_404(StanceTarget, project=access.project, pk=pk)
    target.project = access.project
    form = TargetRowForm(request.POST, auto_id=f"target-{pk}-%s")
    key = f"target-{pk}"
    if not form.is_valid():
        return _refused(request, access, TARGETS, key, form, form_problems(form))
    data, name = form.cleaned_data, target.name
    try:
        match data["op"]:
            case "save":
                editor.change_target(
                    target=target, name=data["name"], description=data["description"]
                )
                message = f"Saved {target.name}."
            case "up" | "down":
                editor.move_target(target=target, step=-1 if data["op"] == "up" else 1)
                message = ""
            case "retire" | "restore":
                retired = data["op"] == "retire"
                editor.set_target_retired(target=target, retired=retired)
                message = (
                    f"Retired {name}: no longer asked on the annotation screen; "
                    "the stances taken on it stay."
                    if retired
                    else f"{name} is asked again."
                )
            case _:
                editor.delete_target(target=target)
                message = f"Deleted {name}."
    except SetupError as refusal:
        return _refused(request, access, TARGETS, key, form, str(refusal))
    return _done(request, access, TARGETS, message)
