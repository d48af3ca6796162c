"""A project's statistics page: distribution, progress, agreement, confusion (reviewers up).

The page shows the stored snapshot (annotate/quality/statistics.py): fresh as it is, stale with a
refresh queued behind it. A project without one is computed in the request when small,
and in the background when big, the page polling until it is ready.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.access import ProjectAccess, Role, project_access
from annotate.models import StatisticsSnapshot
from annotate.quality.recommenders import recommenders
from annotate.quality.statistics import compute_snapshot, request_refresh
from annotate.views.htmx import HtmxHttpRequest

TEMPLATE = "annotate/statistics.html"


def _is_small(documents: int) -> bool:
    """Small enough to compute in the request (about 0.25 s per 1,000 documents).
    The count is the one triggers keep on the project: no count over the corpus."""
    return documents < settings.STATISTICS_INLINE_DOCUMENTS


def _statistics_page(request: HtmxHttpRequest, access: ProjectAccess) -> HttpResponse:
    """The page, or with htmx its #statistics region. One query when a snapshot is
    served, however big the project."""
    project = access.project
    snapshot = StatisticsSnapshot.objects.filter(project=project).first()
    stats = snapshot.statistics() if snapshot else None
    documents = None
    if stats is None:
        documents = project.document_count
        if _is_small(documents):
            snapshot, stats = compute_snapshot(project)
        else:
            snapshot = request_refresh(project, snapshot)
    elif not snapshot.is_fresh(settings.STATISTICS_MAX_AGE):
        snapshot = request_refresh(project, snapshot)
    template = TEMPLATE + "#statistics" if request.htmx else TEMPLATE
    context = {
        "access": access,
        "project": project,
        "snapshot": snapshot,
        "stats": stats,
        "documents": documents,
    }
    if not request.htmx:
        context["recommenders"] = recommenders(project)
    return render(request, template, context)


@require_GET
def project_stats(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    return _statistics_page(request, access)


@require_POST
def recompute_stats(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Recompute now: in the request for a small project, else as a background task
    (not a second one if a refresh is already queued)."""
    access = project_access(request, slug, at_least=Role.REVIEWER)
    project = access.project
    if _is_small(project.document_count):
        compute_snapshot(project)
    else:
        snapshot = StatisticsSnapshot.objects.filter(project=project).first()
        request_refresh(project, snapshot)
    if request.htmx:
        return _statistics_page(request, access)
    return redirect("annotate:project-stats", slug=slug)
