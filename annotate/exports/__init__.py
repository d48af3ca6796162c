"""Exports: one line generator per JSONL shape, one writer, files written atomically.

Every generator takes the project and the documents to export (the whole project, or one
split of it) and yields one dict per line, streamed from a server-side cursor.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson
from django.db.models import QuerySet
from django.utils import timezone

from annotate import webhooks
from annotate.exports.documents import document_lines
from annotate.exports.full import full_lines
from annotate.exports.judgements import reliability_lines, stance_lines
from annotate.exports.predictions import WITH_DOCUMENT_ID, with_predictions
from annotate.exports.selection import (
    GOLD,
    ExportReport,
    choose_selection,
)
from annotate.exports.spans import bio_lines, doccano_lines, span_lines
from annotate.exports.splits import SplitError, split_documents
from annotate.models import Assignment, Document, ExportRun, Project

EXPORTERS: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {
    "documents": document_lines,
    "spans": span_lines,
    "doccano": doccano_lines,
    "bio": bio_lines,
    "stance": stance_lines,
    "reliability": reliability_lines,
    "full": full_lines,
}
# Shapes that carry no selection of annotations: documents has none, full has them all.
WITHOUT_SELECTION = {"documents", "full"}
PROGRESS_EVERY = 5000
# mkstemp makes files only their owner can read; an export is meant to be shared.
EXPORT_FILE_MODE = 0o644

type Progress = Callable[[int], None]


class ExportError(Exception):
    """The export cannot be made as asked (unknown format, nothing to export...)."""


@dataclass(frozen=True)
class ExportOptions:
    format: str
    selection: str | None = None  # None: gold where it exists, else the majority
    split: str | None = None  # "80/10/10"
    split_by: str = "story"
    seed: int = 0
    predictions: bool = False  # each line also carries the models' predictions

    def unsplit(self) -> ExportOptions:
        """The shape and selection alone: what a streamed download writes (a split's
        story keys are computed by the task, never in a request)."""
        return ExportOptions(self.format, self.selection, predictions=self.predictions)


def planned_parts(
    project: Project, options: ExportOptions, report: ExportReport
) -> dict[str, QuerySet[Document]]:
    """The documents of each output file ("" when not split), after every check that can
    refuse the export, so a refused export writes nothing."""
    if options.format not in EXPORTERS:
        raise ExportError(
            f"unknown format {options.format!r}; choose one of {', '.join(EXPORTERS)}"
        )
    if options.predictions and options.format not in WITH_DOCUMENT_ID:
        raise ExportError(
            f"--predictions needs lines that name their document: "
            f"{', '.join(WITH_DOCUMENT_ID)}, not {options.format}"
        )
    documents = Document.objects.for_project(project)
    if not documents.exists():
        raise ExportError(f"project {project.slug!r} has no documents to export")
    if options.format not in WITHOUT_SELECTION:
        report.selection, notice = choose_selection(project, options.selection)
        if notice:
            report.notices.append(notice)
        if report.selection == GOLD and not _has_gold(project):
            raise ExportError(f"project {project.slug!r} has no gold annotations")
        if report.selection != GOLD and not _has_submitted(project):
            raise ExportError(
                f"project {project.slug!r} has no submitted annotations to export "
                f"as {options.format} yet"
            )
    if not options.split:
        return {"": documents}
    if options.format == "full":
        raise ExportError("full restores a whole project; it is not split")
    if options.split_by == "story" and documents.filter(story_key="").exists():
        # Computed over the whole project, so a new article can join an old story;
        # skipped while every document has its key, which keeps repeated exports cheap.
        from annotate.exports.stories import assign_story_keys

        assign_story_keys(project)
    try:
        return split_documents(
            documents, split=options.split, by=options.split_by, seed=options.seed
        )
    except SplitError as error:
        raise ExportError(str(error)) from error


def _has_gold(project: Project) -> bool:
    return Assignment.objects.for_project(project).gold().exists()


def _has_submitted(project: Project) -> bool:
    return (
        Assignment.objects.for_project(project)
        .submitted()
        .filter(is_gold=False)
        .exists()
    )


def export_lines(
    project: Project,
    format: str,
    *,
    selection: str | None = None,
    report: ExportReport | None = None,
    predictions: bool = False,
) -> Iterator[dict[str, Any]]:
    """The lines of the whole project's export. The checks run now, not at the first
    line, so a refused export raises before anything is written or sent."""
    report = report or ExportReport()
    options = ExportOptions(format, selection, predictions=predictions)
    documents = planned_parts(project, options, report)[""]
    return _lines(project, options, documents, report)


def _lines(
    project: Project,
    options: ExportOptions,
    documents: QuerySet[Document],
    report: ExportReport,
) -> Iterator[dict[str, Any]]:
    lines = EXPORTERS[options.format](
        project, documents=documents, selection=report.selection, report=report
    )
    return with_predictions(lines) if options.predictions else lines


def json_line(line: dict[str, Any]) -> bytes:
    """One JSONL line, newline included. orjson rather than the standard library's
    encoder, which took a third of a big export's time."""
    return orjson.dumps(
        line, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    )


def write_jsonl(
    lines: Iterable[dict[str, Any]], out: TextIO, on_progress: Progress | None = None
) -> int:
    """Write one JSON object a line; returns how many."""
    count = 0
    for line in lines:
        out.write(json_line(line).decode())
        count += 1
        if on_progress and count % PROGRESS_EVERY == 0:
            on_progress(count)
    return count


def _write_atomically(
    lines: Iterable[dict[str, Any]], path: Path, on_progress: Progress | None
) -> int:
    """Write through a temporary file beside `path`, so no partial file is ever left."""
    remove_stale_parts(path.parent, f".{path.name}.")
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".part"
    )
    try:
        os.chmod(temporary, EXPORT_FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            count = write_jsonl(lines, out, on_progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def remove_stale_parts(folder: Path, prefix: str) -> None:
    """Delete what exports killed before they could clean up left in `folder`: the
    .part files (or folders) named `prefix`<pid>.*.part whose process is gone. A part of
    a running export, here or on another machine sharing the folder, is left alone
    when its pid is alive here; across machines, only the same host's are judged."""
    for stale in folder.glob(f"{prefix}*.part"):
        pid = stale.name.removeprefix(prefix).split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def export_to_path(
    project: Project,
    format: str,
    path: str | Path,
    *,
    selection: str | None = None,
    report: ExportReport | None = None,
) -> int:
    """Write the whole export to one file; returns the number of lines."""
    lines = export_lines(project, format, selection=selection, report=report)
    return _write_atomically(lines, Path(path), None)


def export_parts(
    project: Project,
    options: ExportOptions,
    path: str | Path,
    *,
    report: ExportReport,
    on_progress: Progress | None = None,
) -> dict[str, int]:
    """Write the export to `path` (a file), or with a split to `path`/<split>.jsonl (a
    folder); returns the lines written per part. Either every file appears or none."""
    parts = planned_parts(project, options, report)
    path = Path(path)
    if list(parts) == [""]:
        lines = _lines(project, options, parts[""], report)
        return {"": _write_atomically(lines, path, on_progress)}
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path, ".export-")
    staging = Path(
        tempfile.mkdtemp(dir=path, prefix=f".export-{os.getpid()}.", suffix=".part")
    )
    try:
        counts = _write_parts(project, options, parts, staging, report, on_progress)
        for name in counts:
            os.replace(staging / f"{name}.jsonl", path / f"{name}.jsonl")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(path, ignore_errors=True)
        raise
    staging.rmdir()
    return counts


def _write_parts(
    project: Project,
    options: ExportOptions,
    parts: dict[str, QuerySet[Document]],
    folder: Path,
    report: ExportReport,
    on_progress: Progress | None,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    written = 0

    def progress(count: int) -> None:
        if on_progress:
            on_progress(written + count)

    for name, documents in parts.items():
        lines = _lines(project, options, documents, report)
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            counts[name] = write_jsonl(lines, out, progress)
        written += counts[name]
        if not counts[name]:
            report.notices.append(f"the {name} split is empty")
    return counts


def run_export(
    project: Project,
    options: ExportOptions,
    path: str | Path,
    *,
    user: Any = None,
    run: ExportRun | None = None,
) -> ExportRun:
    """Export to `path`, recorded as an ExportRun (new, or the queued one given) whose
    line count follows the export while it runs."""
    if run is None:
        run = ExportRun.objects.create(
            project=project, user=user, format=options.format, options=asdict(options)
        )
    run.status, run.path = ExportRun.Status.RUNNING, str(path)
    run.save(update_fields=["status", "path"])
    report = ExportReport()

    def progress(lines: int) -> None:
        ExportRun.objects.filter(pk=run.pk).update(lines=lines)

    try:
        counts = export_parts(
            project, options, path, report=report, on_progress=progress
        )
    except BaseException as error:
        finish_run(run, report, status=ExportRun.Status.FAILED, error=str(error))
        raise
    run.lines = sum(counts.values())
    # Pairs, not an object: jsonb would reorder the keys, and train comes first.
    run.options = {**run.options, "parts": list(counts.items())}
    finish_run(run, report, status=ExportRun.Status.DONE)
    return run


def recorded_lines(
    lines: Iterator[dict[str, Any]], run: ExportRun, report: ExportReport
) -> Iterator[bytes]:
    """The lines encoded for a streamed download, the run finished with their count
    when they end, also when the client goes away: the run says how far it got."""
    count, status = 0, ExportRun.Status.FAILED
    try:
        for line in lines:
            yield json_line(line)
            count += 1
        status = ExportRun.Status.DONE
    finally:
        run.lines = count
        finish_run(run, report, status=status)


def finish_run(
    run: ExportRun, report: ExportReport, *, status: str, error: str = ""
) -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.options = {
        **run.options,
        "selection": report.selection or None,
        "notices": report.notices,
        "warning_count": report.warning_count,
    }
    run.warnings = report.warnings
    run.save()
    webhooks.notify(
        run.project_id, "export.finished", {"run": run.pk, "status": status}
    )
