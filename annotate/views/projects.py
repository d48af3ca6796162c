"""The project list: where a user lands after logging in."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.models import Project
from annotate.projects.people import can_create_projects
from annotate.views.htmx import HtmxHttpRequest


@require_GET
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user)
    context = {
        "projects": projects,
        "can_create": can_create_projects(request.user),
    }
    return render(request, "annotate/project_list.html", context)
