"""Exports and import runs: any shape and selection of export_annotations streamed as
it is written (the export screen's writer), or started as a task to poll and download;
and the record of every import."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from itertools import islice

from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from annotate.access import Role
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import (
    ExportFormat,
    ExportIn,
    ExportRunOut,
    ImportRunOut,
    Selection,
)
from annotate.exports import EXPORTERS, ExportError, planned_parts, recorded_lines
from annotate.exports.selection import ExportReport
from annotate.exports.stored import download_of, start_export
from annotate.models import ExportRun, ImportRun
from annotate.views.exports import ExportForm

router = Router(tags=["exports"])
RECENT_RUNS = 50
JSONL = {"application/jsonl": {"schema": {"type": "string"}}}


def _form(payload: Schema) -> ExportForm:
    """The export screen's form, so the API takes what the screen takes."""
    data = {k: ("" if v is None else v) for k, v in payload.dict().items()}
    form = ExportForm(data)
    if not form.is_valid():
        errors = [
            {"field": name, "message": str(message)}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise ApiError(422, "; ".join(e["message"] for e in errors), errors)
    return form


class StreamQuery(Schema):
    format: ExportFormat
    selection: Selection | None = None


@router.get(
    "/{slug}/exports/stream/",
    response=responses({200: str}),
    openapi_extra={
        "responses": {
            200: {"description": "JSONL, one object a line", "content": JSONL}
        }
    },
)
def stream_export(request: HttpRequest, slug: str, query: Query[StreamQuery]):
    """The export, streamed as it is read: the first line leaves at once and the
    server holds one chunk of documents at a time. Recorded as an export run.
    Needs the reviewer role."""
    access = access_to(request, slug, Role.REVIEWER)
    options = (
        _form(ExportIn(format=query.format, selection=query.selection))
        .options()
        .unsplit()
    )
    report = ExportReport()
    try:
        parts = planned_parts(access.project, options, report)
    except ExportError as error:
        raise ApiError(409, str(error)) from None
    run = ExportRun.objects.create(
        project=access.project, user=request.user, format=options.format,
        status=ExportRun.Status.RUNNING, options={**asdict(options), "streamed": True},
    )  # fmt: skip
    lines = EXPORTERS[options.format](
        access.project, documents=parts[""], selection=report.selection, report=report
    )
    response = StreamingHttpResponse(
        _buffered(recorded_lines(lines, run, report)), content_type="application/jsonl"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-{options.format}.jsonl"'
    )
    return response


def _buffered(chunks: Iterator[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """The first line at once, then the lines in pieces of about `size` bytes: the
    server writes each piece to the socket on its own, and a write per line of a
    million-line export cost a fifth of its time."""
    chunks = iter(chunks)
    try:
        yield from islice(chunks, 1)
        piece, length = [], 0
        for chunk in chunks:
            piece.append(chunk)
            length += len(chunk)
            if length >= size:
                yield b"".join(piece)
                piece, length = [], 0
        if piece:
            yield b"".join(piece)
    finally:  # a client gone: the export run still records how far it got
        getattr(chunks, "close", lambda: None)()


def run_out(run: ExportRun, slug: str) -> dict:
    parts = (
        [name for name, _ in run.options.get("parts", [])]
        if run.status == "done"
        else []
    )
    url = reverse("api:download_export", args=[slug, run.pk])
    return {
        "id": run.pk,
        "status": run.status,
        "format": run.format,
        "options": run.options,
        "lines": run.lines,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "downloads": [f"{url}?part={name}" if name else url for name in parts],
    }


@router.post("/{slug}/exports/", response=responses({202: ExportRunOut}))
def start_export_run(request: HttpRequest, slug: str, payload: ExportIn):
    """Start an export in the background (splits too); poll it, then download."""
    access = access_to(request, slug, Role.REVIEWER)
    options = _form(payload).options()
    try:
        planned_parts(access.project, options.unsplit(), ExportReport())
    except ExportError as error:
        raise ApiError(409, str(error)) from None
    run = start_export(project=access.project, options=options, user=request.user)
    run.refresh_from_db()
    return Status(202, run_out(run, slug))


@router.get("/{slug}/exports/", response=responses({200: list[ExportRunOut]}))
def list_exports(request: HttpRequest, slug: str):
    access = access_to(request, slug, Role.REVIEWER)
    runs = ExportRun.objects.filter(project=access.project)[:RECENT_RUNS]
    return [run_out(run, slug) for run in runs]


@router.get("/{slug}/exports/{int:pk}/", response=responses({200: ExportRunOut}))
def get_export(request: HttpRequest, slug: str, pk: int):
    """An export run: its status, line count and, once done, its files."""
    access = access_to(request, slug, Role.REVIEWER)
    run = get_object_or_404(ExportRun, project=access.project, pk=pk)
    return run_out(run, slug)


class PartQuery(Schema):
    part: str = Field(
        default="", max_length=20, description="train, dev or test of a split."
    )


@router.get(
    "/{slug}/exports/{int:pk}/download/",
    response=responses({200: str}),
    url_name="download_export",
    openapi_extra={
        "responses": {200: {"description": "The JSONL file", "content": JSONL}}
    },
)
def download_export(request: HttpRequest, slug: str, pk: int, query: Query[PartQuery]):
    access = access_to(request, slug, Role.REVIEWER)
    run = get_object_or_404(ExportRun, project=access.project, pk=pk)
    found = download_of(run, query.part)
    if found is None:
        raise Http404("This export has no such finished file.")
    path, name = found
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/jsonl",
    )


def import_out(run: ImportRun) -> dict:
    fields = ("id", "status", "format", "started_at", "finished_at", "read", "imported")
    fields += ("duplicates", "merged", "rejected", "rejections", "error")
    return {name: getattr(run, name) for name in fields}


@router.get("/{slug}/imports/", response=responses({200: list[ImportRunOut]}))
def list_imports(request: HttpRequest, slug: str):
    """The project's imports (uploads, commands and the API), newest first."""
    access = access_to(request, slug, Role.MANAGER)
    runs = ImportRun.objects.filter(project=access.project)[:RECENT_RUNS]
    return [import_out(run) for run in runs]


@router.get("/{slug}/imports/{int:pk}/", response=responses({200: ImportRunOut}))
def get_import(request: HttpRequest, slug: str, pk: int):
    access = access_to(request, slug, Role.MANAGER)
    return import_out(get_object_or_404(ImportRun, project=access.project, pk=pk))
