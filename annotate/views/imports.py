"""The import screen: upload a file for a background import and follow its progress."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_http_methods

from annotate.access import Role, project_access
from annotate.ingest.readers import FORMATS
from annotate.ingest.uploads import start_upload_import
from annotate.models import ImportRun
from annotate.views.htmx import HtmxHttpRequest
from annotate.workers.reaper import can_retry, reap_if_stale

RECENT_RUNS = 20


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A file, or a .zip/.gz archive of files.")
    format = forms.ChoiceField(
        choices=[(name, name) for name in FORMATS], initial="auto"
    )
    strict = forms.BooleanField(
        required=False, help_text="Import nothing from a file that has a bad record."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.NEWSAPP_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; uploads are limited to {filesizeformat(limit)}."
            )
        return upload


@require_http_methods(["GET", "POST"])
def import_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = start_upload_import(
            project=access.project,
            upload=form.cleaned_data["file"],
            format=form.cleaned_data["format"],
            strict=form.cleaned_data["strict"],
            user=request.user,
        )
        return redirect("annotate:import-run", slug=slug, pk=run.pk)
    runs = ImportRun.objects.filter(project=access.project).select_related("user")[
        :RECENT_RUNS
    ]
    context = {"access": access, "project": access.project, "form": form, "runs": runs}
    return render(request, "annotate/imports.html", context)


@require_GET
def import_run(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    run = get_object_or_404(
        ImportRun.objects.select_related("user"), project=access.project, pk=pk
    )
    run = reap_if_stale(run)  # its worker may have died: retried or failed, not stuck
    template = "annotate/import_run.html"
    if request.htmx:
        template += "#run-status"
    context = {
        "access": access,
        "project": access.project,
        "run": run,
        "can_retry": can_retry(run),
    }
    return render(request, template, context)
