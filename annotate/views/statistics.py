"""A project's statistics page: distribution, progress, agreement, confusion (reviewers up)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.access import Role, project_access
from annotate.statistics import project_statistics


@require_GET
def project_stats(request: HttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    return render(
        request,
        "annotate/statistics.html",
        {
            "access": access,
            "project": access.project,
            "stats": project_statistics(access.project),
        },
    )
