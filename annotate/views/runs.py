"""The Retry button of an import or export whose worker stopped (or that failed
otherwise): POST, managers only. The run is queued again from scratch and its page
polls it anew."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from annotate.access import Role, project_access
from annotate.models import ExportRun, ImportRun
from annotate.views.htmx import HtmxHttpRequest
from annotate.workers.reaper import retry


@require_POST
def export_retry(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _retry(request, slug, pk, ExportRun, "annotate:export-run")


@require_POST
def import_retry(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _retry(request, slug, pk, ImportRun, "annotate:import-run")


def _retry(request, slug: str, pk: int, model, page: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    run = get_object_or_404(model, project=access.project, pk=pk)
    try:
        retry(run)
    except ValueError as error:
        messages.error(request, str(error))
        if model is ImportRun:
            return redirect("annotate:import", slug=slug)
    else:
        messages.success(request, f"{run} is queued again.")
    return redirect(page, slug=slug, pk=pk)
