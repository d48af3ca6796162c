"""The reaper: finds web imports and exports whose worker stopped (no heartbeat for
settings.TASK_STALE_SECONDS), queues them again when that is safe and they have not been
retried (settings.TASK_RETRIES), or else fails them with the reason "worker stopped" and
removes what they left in var/: partial export files and the uploaded file.

Imports are safe to run again: documents are stored by content hash, so those the dead
worker stored come back as duplicates. Exports restart from scratch. The worker loop
calls reap_stale_runs() periodically; a run's page calls reap_if_stale() as it polls.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from annotate import webhooks
from annotate.exports.stored import export_folder, export_task
from annotate.ingest.uploads import import_upload, upload_folder
from annotate.models import ExportRun, ImportRun
from annotate.models.runs import BEATING_HERE, WORKER_STOPPED

logger = logging.getLogger(__name__)

Run = ExportRun | ImportRun
RUN_MODELS: tuple[type[ExportRun] | type[ImportRun], ...] = (ExportRun, ImportRun)
UNDER_WAY = (ExportRun.Status.QUEUED, ExportRun.Status.RUNNING)


def stale_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.TASK_STALE_SECONDS)


def reap_stale_runs(*, now: datetime | None = None) -> list[Run]:
    """Retry or fail every run whose worker stopped; returns them, as left."""
    cutoff = stale_before(now)
    reaped = []
    for model in RUN_MODELS:
        stale = model.objects.filter(status__in=UNDER_WAY, heartbeat_at__lt=cutoff)
        for pk in stale.values_list("pk", flat=True):
            if (model.__name__, pk) in BEATING_HERE:
                continue  # alive in this very process: its stamps could not land
            run = _reap(model, pk, cutoff)
            if run is not None:
                reaped.append(run)
    return reaped


def reap_if_stale(run: Run) -> Run:
    """The run as it stands after reaping it if its worker stopped (the run page's
    poll): one query when it is alive."""
    if not run.under_way or run.heartbeat_at is None:
        return run
    cutoff = stale_before()
    if run.heartbeat_at >= cutoff:
        return run
    return _reap(type(run), run.pk, cutoff) or run


def _reap(model, pk: int, cutoff: datetime) -> Run | None:
    """Retry or fail one stale run, unless another reaper holds it or it came back to
    life; the run row is locked so two reapers never both act."""
    with transaction.atomic():
        run = (
            model.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status__in=UNDER_WAY, heartbeat_at__lt=cutoff)
            .select_related("project")
            .first()
        )
        if run is None:
            return None
        _fail_dead_task(run)
        if run.attempts < settings.TASK_RETRIES:
            logger.warning("%s: its worker stopped; queued again", run)
            _queue_again(run, attempts=run.attempts + 1)
        else:
            logger.warning("%s: its worker stopped; failed", run)
            _fail(run)
    return run


def retry(run: Run) -> Run:
    """Queue a failed run again from scratch (the Retry button); an import needs its
    upload, which a run that failed for good no longer has (ValueError)."""
    if run.status != run.Status.FAILED:
        raise ValueError(
            f"{run} is {run.status}, not failed: there is nothing to retry."
        )
    if isinstance(run, ImportRun) and not _upload_kept(run):
        raise ValueError(
            "The uploaded file was removed when the import failed: upload it again."
        )
    with transaction.atomic():
        _queue_again(run, attempts=0)
    return run


def can_retry(run: Run) -> bool:
    if run.status != run.Status.FAILED:
        return False
    return not isinstance(run, ImportRun) or _upload_kept(run)


def _upload_kept(run: ImportRun) -> bool:
    return all((upload_folder(run) / name).is_file() for name in run.files)


def _queue_again(run: Run, *, attempts: int) -> None:
    """Back to the queue as new: counts and partial files cleared; the upload kept."""
    run.status, run.error, run.finished_at = run.Status.QUEUED, "", None
    run.heartbeat_at, run.attempts = None, attempts
    fields = ["status", "error", "finished_at", "heartbeat_at", "attempts"]
    if isinstance(run, ExportRun):
        shutil.rmtree(export_folder(run), ignore_errors=True)
        run.lines, run.path, run.warnings = 0, "", []
        fields += ["lines", "path", "warnings"]
        task = export_task
    else:
        run.read = run.imported = run.duplicates = run.merged = run.rejected = 0
        run.rejections = []
        fields += ["read", "imported", "duplicates", "merged", "rejected", "rejections"]
        task = import_upload
    run.save(update_fields=fields)
    transaction.on_commit(lambda: task.enqueue(run.pk))


def _fail(run: Run) -> None:
    run.status, run.error = run.Status.FAILED, WORKER_STOPPED
    run.finished_at, run.heartbeat_at = timezone.now(), None
    run.save(update_fields=["status", "error", "finished_at", "heartbeat_at"])
    if isinstance(run, ExportRun):
        shutil.rmtree(export_folder(run), ignore_errors=True)
        event = "export.finished"
    else:
        shutil.rmtree(upload_folder(run), ignore_errors=True)
        event = "import.finished"
    webhooks.notify(run.project_id, event, {"run": run.pk, "status": run.status})


def _fail_dead_task(run: Run) -> None:
    """The dead worker's task result says running for ever: mark it failed."""
    task = export_task if isinstance(run, ExportRun) else import_upload
    DBTaskResult.objects.filter(
        status="RUNNING",
        task_path=task.module_path,
        args_kwargs__args=[run.pk],
    ).update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="annotate.workers.reaper.WorkerStopped",
        traceback=f"{WORKER_STOPPED}: no heartbeat since {run.heartbeat_at}",
    )
