"""Imports started from the upload page: the file is kept under var/uploads and a
background task (django.tasks, database backend) loads it, updating its ImportRun."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.tasks import task
from django.utils.text import get_valid_filename

from annotate.ingest.load import import_records
from annotate.ingest.readers import read_paths
from annotate.ingest.records import ProjectSetup, ReadItem, Rejection
from annotate.models import ImportRun, Project


def upload_folder(run: ImportRun) -> Path:
    return Path(settings.VAR_DIR) / "uploads" / str(run.pk)


def start_upload_import(
    *, project: Project, upload: UploadedFile, format: str, strict: bool, user
) -> ImportRun:
    """Keep the uploaded file and queue its import; returns the queued run."""
    name = get_valid_filename(Path(upload.name or "upload").name) or "upload"
    with transaction.atomic():
        run = ImportRun.objects.create(
            project=project, user=user, format=format, files=[name], strict=strict
        )
        folder = upload_folder(run)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / name).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        transaction.on_commit(lambda: import_upload.enqueue(run.pk))
    return run


@task
def import_upload(run_id: int) -> None:
    """Load the kept upload; the run carries a heartbeat while it does (a run whose
    heartbeat stops is queued again, safe by content hash, or failed: see
    annotate/workers/reaper.py). The upload is removed when the task ends."""
    run = ImportRun.objects.select_related("project", "user").get(pk=run_id)
    folder = upload_folder(run)
    items = read_paths([folder], format=run.format)
    try:
        with run.beating():
            import_records(
                _named_as_uploaded(items, folder),
                project=run.project,
                run=run,
                strict=run.strict,
                importer=run.user,
            )
    finally:  # done or failed for good: nothing is left in var/uploads
        shutil.rmtree(folder, ignore_errors=True)


def _named_as_uploaded(items: Iterable[ReadItem], folder: Path) -> Iterator[ReadItem]:
    """Report FILE:LINE with the name the user uploaded, not the path it was kept at."""
    prefix = f"{folder}/"
    for item in items:
        origin = item.origin.removeprefix(prefix)
        if isinstance(item, Rejection):
            yield Rejection(origin, item.reason.replace(prefix, ""))
        elif isinstance(item, ProjectSetup):
            item.origin = origin
            yield item
        else:
            item.origin = origin
            if isinstance(item.meta.get("import"), dict):
                item.meta["import"]["file"] = str(
                    item.meta["import"].get("file", "")
                ).removeprefix(prefix)
            yield item
