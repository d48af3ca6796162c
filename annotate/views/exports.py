"""The export screen: prepare a JSONL file in the background and download it later, or
stream one straight to the browser. Exports hold every annotator's work, so they need
the reviewer role."""

from __future__ import annotations

from dataclasses import asdict

from django import forms
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from annotate.access import ProjectAccess, Role, project_access
from annotate.exports import (
    EXPORTERS,
    ExportError,
    ExportOptions,
    planned_parts,
    recorded_lines,
)
from annotate.exports.selection import SELECTIONS, ExportReport
from annotate.exports.splits import SPLIT_BY, SplitError, parse_split
from annotate.exports.stored import download_of, start_export
from annotate.models import ExportRun
from annotate.views.htmx import HtmxHttpRequest
from annotate.workers.reaper import can_retry, reap_if_stale

RECENT_RUNS = 20
DEFAULT_SELECTION = ""  # gold where it exists, else the majority


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(name, name) for name in EXPORTERS])
    selection = forms.ChoiceField(
        required=False,
        choices=[(DEFAULT_SELECTION, "gold if any, else majority")]
        + [(name, name) for name in SELECTIONS],
        help_text="Which annotations: adjudicated, every annotator's, or the majority's.",
    )
    split = forms.CharField(
        required=False,
        max_length=30,
        help_text="e.g. 80/10/10 for train/dev/test; empty for one file.",
    )
    split_by = forms.ChoiceField(choices=[(name, name) for name in SPLIT_BY])
    seed = forms.IntegerField(initial=0, min_value=0, max_value=2**31 - 1)

    def clean_split(self) -> str:
        split = self.cleaned_data["split"].strip()
        if split:
            try:
                parse_split(split)
            except SplitError as error:
                raise forms.ValidationError(str(error)) from None
        return split

    def options(self) -> ExportOptions:
        data = self.cleaned_data
        return ExportOptions(
            format=data["format"],
            selection=data["selection"] or None,
            split=data["split"] or None,
            split_by=data["split_by"],
            seed=data["seed"] or 0,
        )


@require_http_methods(["GET", "POST"])
def export_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    form = ExportForm(request.POST or None, initial={"split_by": "story"})
    if request.method == "POST" and form.is_valid():
        options = form.options()
        try:
            planned_parts(access.project, options.unsplit(), ExportReport())
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            run = start_export(
                project=access.project, options=options, user=request.user
            )
            return redirect("annotate:export-run", slug=slug, pk=run.pk)
    return _export_page(request, access, form)


def _export_page(
    request: HtmxHttpRequest, access: ProjectAccess, form: ExportForm
) -> HttpResponse:
    """The export page; a form with errors shows them there, with a 400."""
    runs = ExportRun.objects.filter(project=access.project).select_related("user")[
        :RECENT_RUNS
    ]
    context = {"access": access, "project": access.project, "form": form, "runs": runs}
    return render(request, "annotate/exports.html", context, status=_status(form))


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_GET
def export_run(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    run = get_object_or_404(
        ExportRun.objects.select_related("user"), project=access.project, pk=pk
    )
    run = reap_if_stale(run)  # its worker may have died: retried or failed, not stuck
    template = "annotate/export_run.html"
    if request.htmx:
        template += "#run-status"
    context = {
        "access": access,
        "project": access.project,
        "run": run,
        "can_retry": access.can_manage and can_retry(run),
    }
    return render(request, template, context)


@require_GET
def export_download(request: HtmxHttpRequest, slug: str, pk: int) -> FileResponse:
    """The kept file of a finished export (?part=train for one part of a split)."""
    access = project_access(request, slug, at_least=Role.REVIEWER)
    run = get_object_or_404(ExportRun, project=access.project, pk=pk)
    found = download_of(run, request.GET.get("part", ""))
    if found is None:
        raise Http404("This export has no such finished file.")
    path, name = found
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/jsonl",
    )


@require_POST
def export_stream(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The whole export streamed as it is read: the first line leaves at once and the
    server holds one chunk of documents at a time. Recorded as an ExportRun, so only
    by POST (with the CSRF check); a refused form is shown on the export page."""
    access = project_access(request, slug, at_least=Role.REVIEWER)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _export_page(request, access, form)
    options = form.options().unsplit()
    report = ExportReport()
    try:
        parts = planned_parts(access.project, options, report)
    except ExportError as error:
        form.add_error(None, str(error))
        return _export_page(request, access, form)
    run = ExportRun.objects.create(
        project=access.project,
        user=request.user,
        format=options.format,
        status=ExportRun.Status.RUNNING,
        options={**asdict(options), "streamed": True},
    )
    lines = EXPORTERS[options.format](
        access.project, documents=parts[""], selection=report.selection, report=report
    )
    response = StreamingHttpResponse(
        recorded_lines(lines, run, report), content_type="application/jsonl"
    )
    filename = f"{access.project.slug}-{options.format}.jsonl"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
