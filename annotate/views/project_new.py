"""New project: for superusers and the "project creators" group. The project starts
from a template or from the set-up of a project the creator manages, and its creator
becomes its manager."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.models import Project
from annotate.projects.people import PROJECT_CREATORS, can_create_projects
from annotate.projects.templates import TEMPLATES, create_project
from annotate.views.forms import NewProjectForm
from annotate.views.htmx import HtmxHttpRequest


@require_http_methods(["GET", "POST"])
def project_new(request: HtmxHttpRequest) -> HttpResponse:
    if not can_create_projects(request.user):
        raise PermissionDenied(
            f"Making projects needs a superuser or the {PROJECT_CREATORS!r} group."
        )
    form = NewProjectForm(
        request.POST or None,
        templates=TEMPLATES,
        copyable=Project.objects.managed_by(request.user).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = create_project(
            name=data["name"],
            creator=request.user,
            template=data["start_from"],
            copy_from=form.copy_from,
            description=data["description"],
            guidelines=data["guidelines"],
            overlap=data["overlap"],
            blind=data["blind"],
        )
        messages.success(
            request,
            f"Made {project.name}. Invite people, check the labels, then import documents.",
        )
        return redirect("annotate:manage", slug=project.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "annotate/project_new.html", {"form": form}, status=status)
