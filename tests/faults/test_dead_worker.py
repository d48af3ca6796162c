"""kill -9 of the task worker in the middle of an export and of an import (issue 19,
item 1): the runs are retried or visibly failed within a minute, the page stops
polling, and nothing is left in var/ (no .part file, no uploaded file). Real processes:
gunicorn, `run_worker --supervise`, the embedded PostgreSQL of a throwaway var/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

MINUTE = 60.0


def state(site, kind: str, pk: int) -> tuple[str, str, int]:
    [row] = site.query(
        f"SELECT status, error, attempts FROM annotate_{kind}run WHERE id = %s", pk
    )
    return row


def running_with_heartbeat(site, kind: str, pk: int):
    rows = site.query(
        f"SELECT 1 FROM annotate_{kind}run WHERE id = %s AND status = 'running' "
        "AND heartbeat_at IS NOT NULL",
        pk,
    )
    return bool(rows)


def finished(site, kind: str, pk: int):
    status, _error, _attempts = state(site, kind, pk)
    return status in ("done", "failed")


def files_left(site, folder: str, run: int) -> list[str]:
    base = site.var / folder / str(run)
    return sorted(p.name for p in base.rglob("*")) if base.exists() else []


def stuck_task_results(site, run: int) -> list[tuple]:
    return site.query(
        "SELECT id FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'RUNNING' AND args_kwargs->'args' = %s::jsonb",
        f"[{run}]",
    )


def export_running(site, run: int) -> None:
    wait_for(
        "the export to start",
        lambda: running_with_heartbeat(site, "export", run),
        explain=lambda: site.explain("export", run),
    )


def test_a_worker_killed_mid_export_has_its_export_retried(installation):
    site = installation
    site.idle()
    with site.exports_held():
        run = site.start_export()
        export_running(site, run)
        killed = site.kill_worker()
    wait_for("the export to end", lambda: finished(site, "export", run), MINUTE)
    assert state(site, "export", run) == ("done", "", 1)
    assert site.worker_pid() not in (None, killed)  # the supervisor started another
    assert files_left(site, "exports", run) == ["faults-documents.jsonl"]
    assert not stuck_task_results(site, run)
    status, page = site.get(f"/p/faults/export/{run}/", site.session)
    assert status == 200 and "Download the file" in page


def test_a_worker_killed_twice_fails_the_export_visibly(installation):
    site = installation
    site.idle()
    with site.exports_held():
        run = site.start_export()
        export_running(site, run)
        site.kill_worker()

        def retried_and_running():
            return state(site, "export", run)[2] == 1 and running_with_heartbeat(
                site, "export", run
            )

        wait_for(
            "the retried export to start",
            retried_and_running,
            MINUTE,
            explain=lambda: site.explain("export", run),
        )
        site.kill_worker()
    wait_for("the export to fail", lambda: finished(site, "export", run), MINUTE)
    assert state(site, "export", run) == ("failed", "worker stopped", 1)
    assert files_left(site, "exports", run) == []
    assert not stuck_task_results(site, run)
    status, page = site.get(f"/p/faults/export/{run}/", site.session)
    assert status == 200
    assert "failed: worker stopped" in page
    assert ">Retry</button>" in page
    assert "hx-trigger" not in page  # no more polling


def test_a_worker_killed_mid_import_has_its_import_retried_once(installation):
    site = installation
    site.idle()
    [(before,)] = site.query("SELECT count(*) FROM annotate_document")
    run = site.start_upload()

    def storing():
        rows = site.query(
            "SELECT imported FROM annotate_importrun WHERE id = %s "
            "AND status = 'running' AND heartbeat_at IS NOT NULL",
            run,
        )
        return rows and rows[0][0] > 0

    wait_for("the import to store documents", storing)
    site.kill_worker()
    wait_for("the import to end", lambda: finished(site, "import", run), MINUTE)
    assert state(site, "import", run) == ("done", "", 1)
    [(after,)] = site.query("SELECT count(*) FROM annotate_document")
    lines = Path(site.upload).read_text().count("\n")
    assert after - before == lines  # each stored once, none twice
    assert files_left(site, "uploads", run) == []
    assert not stuck_task_results(site, run)
