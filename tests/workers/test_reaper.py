"""Runs whose worker died (no heartbeat for TASK_STALE_SECONDS) are queued again once or
failed with "worker stopped", their partial files and upload removed; the run page says
so, stops polling, and offers managers a Retry button. (tests/faults/ kills real
workers; these build the dead worker's leftovers by hand.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.exports.stored import export_folder
from annotate.ingest.uploads import upload_folder
from annotate.models import ExportRun, ImportRun
from annotate.workers.reaper import reap_stale_runs
from tests.conftest import member

pytestmark = pytest.mark.django_db

SPANS = {"format": "spans", "selection": "all", "split": None, "split_by": "story"}


@pytest.fixture(autouse=True)
def kept_under_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.TASK_STALE_SECONDS = 30


def long_ago() -> timezone.datetime:
    return timezone.now() - timedelta(minutes=5)


def dead_export(project, *, attempts=0) -> ExportRun:
    """An export whose worker was killed: running, an old heartbeat, a 0-byte .part."""
    run = ExportRun.objects.create(
        project=project,
        format="spans",
        options={**SPANS, "seed": 0},
        status=ExportRun.Status.RUNNING,
        heartbeat_at=long_ago(),
        attempts=attempts,
    )
    folder = export_folder(run)
    folder.mkdir(parents=True)
    (folder / f".{project.slug}-spans.jsonl.999999.x.part").touch()
    return run


def dead_import(project, *, attempts=0) -> ImportRun:
    run = ImportRun.objects.create(
        project=project,
        format="txt",
        files=["a.txt"],
        status=ImportRun.Status.RUNNING,
        heartbeat_at=long_ago(),
        attempts=attempts,
    )
    folder = upload_folder(run)
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("Sergey Lavrov arrived in Bamako on Monday.\n")
    return run


def poll(client, run, kind: str):
    url = reverse(f"annotate:{kind}-run", args=[run.project.slug, run.pk])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_a_dead_export_is_restarted_from_scratch_when_its_page_polls(
    manager_client, annotated, django_capture_on_commit_callbacks
):
    run = dead_export(annotated)
    with django_capture_on_commit_callbacks(execute=True):
        poll(manager_client, run, "export")
    run.refresh_from_db()
    assert run.status == ExportRun.Status.DONE
    assert run.attempts == 1 and run.lines > 0
    assert not list(export_folder(run).glob(".*.part"))
    page = poll(manager_client, run, "export")
    assert "Queued again after its task worker stopped" in page


def test_a_dead_export_already_retried_fails_visibly_and_leaves_no_files(
    manager_client, annotated
):
    run = dead_export(annotated, attempts=1)
    page = poll(manager_client, run, "export")
    run.refresh_from_db()
    assert run.status == ExportRun.Status.FAILED
    assert run.error == "worker stopped"
    assert "failed: worker stopped" in page
    assert "hx-trigger" not in page  # the page stops polling
    assert ">Retry</button>" in page
    assert not export_folder(run).exists()


def test_a_reviewer_sees_the_failure_but_may_not_retry(client, annotated):
    reviewer = member(annotated, "rev2", "reviewer")
    client.force_login(reviewer)
    run = dead_export(annotated, attempts=1)
    page = poll(client, run, "export")
    assert "failed: worker stopped" in page and "Retry" not in page
    url = reverse("annotate:export-retry", args=[annotated.slug, run.pk])
    assert client.post(url).status_code == 403
    run.refresh_from_db()
    assert run.status == ExportRun.Status.FAILED


def test_retry_queues_the_failed_export_again(
    manager_client, annotated, django_capture_on_commit_callbacks
):
    run = dead_export(annotated, attempts=1)
    reap_stale_runs()
    url = reverse("annotate:export-retry", args=[annotated.slug, run.pk])
    assert manager_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ExportRun.Status.DONE and run.error == ""


def test_a_dead_import_is_retried_and_stores_each_document_once(
    manager_client, project, django_capture_on_commit_callbacks
):
    run = dead_import(project)
    with django_capture_on_commit_callbacks(execute=True):
        reaped = reap_stale_runs()
    assert [r.pk for r in reaped] == [run.pk]
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.attempts == 1
    assert project.documents.count() == 1
    assert not upload_folder(run).exists()


def test_a_dead_import_already_retried_fails_and_its_upload_is_removed(
    manager_client, project
):
    run = dead_import(project, attempts=1)
    page = poll(manager_client, run, "import")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and run.error == "worker stopped"
    assert "failed: worker stopped" in page and "hx-trigger" not in page
    assert "Upload the file again" in page
    assert not upload_folder(run).exists()


def test_a_live_run_is_left_alone(manager_client, annotated):
    run = dead_export(annotated)
    ExportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    assert reap_stale_runs() == []
    poll(manager_client, run, "export")
    run.refresh_from_db()
    assert run.status == ExportRun.Status.RUNNING
