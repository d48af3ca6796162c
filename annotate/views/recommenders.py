"""The recommenders' doors: Train now (managers), the recommenders' section of the
statistics page (reviewers up, polled while a run is queued or running), and the trained
pipeline's download (managers)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.access import Role, project_access
from annotate.assist.runs import archive_path, trainable_kinds
from annotate.assist.tasks import start_training
from annotate.models import ModelRun
from annotate.quality.recommenders import recommenders
from annotate.views.htmx import HtmxHttpRequest

FRAGMENT = "annotate/statistics.html#recommenders"


def _section(request: HtmxHttpRequest, access, notice: str = "") -> HttpResponse:
    context = {
        "access": access,
        "project": access.project,
        "recommenders": recommenders(access.project),
        "notice": notice,
    }
    return render(request, FRAGMENT, context)


@require_GET
def recommenders_section(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    return _section(request, access)


@require_POST
def train_now(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Queue a run of each recommender the project's labels call for."""
    access = project_access(request, slug, at_least=Role.MANAGER)
    project = access.project
    if not trainable_kinds(project):
        notice = "This project has no entity labels or stance targets to train on."
    elif queued := start_training(project, user=request.user):
        kinds = " and ".join(run.kind for run in queued)
        notice = f"Training queued ({kinds}); a task worker runs it."
    else:
        notice = "A training run is already queued or running."
    if request.htmx:
        return _section(request, access, notice)
    messages.info(request, notice)
    return redirect("annotate:project-stats", slug=slug)


@require_GET
def model_download(request: HtmxHttpRequest, slug: str, pk: int) -> FileResponse:
    """A finished run's trained pipeline, zipped (a spaCy model folder, or the
    stance model's pickle)."""
    access = project_access(request, slug, at_least=Role.MANAGER)
    run = get_object_or_404(ModelRun, project=access.project, pk=pk)
    path = archive_path(run)
    if run.status != ModelRun.Status.DONE or not path.is_file():
        raise Http404("This run has no finished model to download.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{access.project.slug}-{run.kind}-run{run.pk}.zip",
        content_type="application/zip",
    )
