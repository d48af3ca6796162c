"""Exports started from the export page: a background task (django.tasks, database
backend) writes the file under var/exports/<run>/, where it is kept for download, and
updates its ExportRun as it goes."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.tasks import task

from annotate.exports import ExportOptions, run_export
from annotate.exports.selection import ALL, GOLD, choose_selection
from annotate.models import Assignment, Document, ExportRun, Project, Rating, Stance


def export_folder(run: ExportRun) -> Path:
    return Path(settings.VAR_DIR) / "exports" / str(run.pk)


def output_path(run: ExportRun) -> Path:
    """The file, or with a split the folder of part files, that the run writes."""
    name = f"{run.project.slug}-{run.format}"
    if run.options.get("split"):
        return export_folder(run) / name
    return export_folder(run) / f"{name}.jsonl"


def part_file(run: ExportRun, part: str) -> Path | None:
    """The finished file of one part ("" when not split), or None if there is none."""
    if run.status != ExportRun.Status.DONE or part not in dict(
        run.options.get("parts", [])
    ):
        return None
    path = output_path(run)
    return path / f"{part}.jsonl" if part else path


def download_of(run: ExportRun, part: str) -> tuple[Path, str] | None:
    """The finished file of one part ("" when not split) and the name it is downloaded
    under, or None when there is no such file."""
    path = part_file(run, part)
    if path is None or not path.is_file():
        return None
    return path, f"{run.project.slug}-{run.format}{'-' + part if part else ''}.jsonl"


def start_export(*, project: Project, options: ExportOptions, user) -> ExportRun:
    """Record the export and queue it; returns the queued run."""
    with transaction.atomic():
        run = ExportRun.objects.create(
            project=project,
            user=user,
            format=options.format,
            options={
                **asdict(options),
                "expected_lines": expected_lines(project, options),
            },
        )
        transaction.on_commit(lambda: export_task.enqueue(run.pk))
    return run


@task
def export_task(run_id: int) -> None:
    """Write the run's file; the run carries a heartbeat while it does (a run whose
    heartbeat stops is restarted from scratch or failed: annotate/workers/reaper.py)."""
    run = ExportRun.objects.select_related("project").get(pk=run_id)
    known = {"format", "selection", "split", "split_by", "seed", "predictions"}
    options = ExportOptions(**{k: v for k, v in run.options.items() if k in known})
    path = output_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    with run.beating():
        run_export(run.project, options, path, run=run)


def expected_lines(project: Project, options: ExportOptions) -> int:
    """About how many lines the export will have, for its progress bar: exact for
    whole-project shapes, an upper bound for --majority (items may not be agreed)."""
    documents = Document.objects.for_project(project)
    if options.format == "full":
        return documents.count() + 1
    if options.format == "documents":
        return documents.count()
    try:
        selection, _notice = choose_selection(project, options.selection)
    except ValueError:
        return 0
    assignments = Assignment.objects.for_project(project)
    if selection == GOLD:
        assignments = assignments.gold()
    else:
        assignments = assignments.submitted().filter(is_gold=False)
    one_version = selection in (ALL, GOLD)
    if options.format in ("stance", "reliability"):
        items, key = (
            (Stance, ("target",))
            if options.format == "stance"
            else (Rating, ("source", "role"))
        )
        items = items.objects.filter(assignment__in=assignments)
        if one_version:
            return items.count()
        return items.values("assignment__document", *key).distinct().count()
    if one_version:
        return assignments.count()
    return assignments.values("document").distinct().count()
