"""A training run whose worker is killed (SIGKILL) half-way: the run is marked failed
with a reason, nothing of it is left half-written, and the previous model serves on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from annotate.assist import runs, tasks
from annotate.models import ModelRun, Prediction
from tests.assist.world import label_project
from tests.security.test_crashes import REPO, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


# Where the worker is killed: while training (a very long one), or while it writes the
# predictions (one document per chunk), once some of the new run's are stored.
STAGES = {
    "training": {"NEWSAPP_ASSIST_EPOCHS": "100000"},
    "predicting": {"NEWSAPP_ASSIST_EPOCHS": "1", "NEWSAPP_ASSIST_PREDICT_CHUNK": "1"},
}


def worker(var_dir, stage: str) -> subprocess.Popen:
    """`manage.py db_worker` on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "NEWSAPP_PLAIN_STATIC": "1",
        "NEWSAPP_VAR_DIR": str(var_dir),
        **STAGES[stage],
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:])
        assert time.monotonic() < deadline, "the worker never got there"
        time.sleep(0.1)


def reached(run: ModelRun, stage: str):
    if stage == "training":
        return lambda: ModelRun.objects.filter(pk=run.pk, status="running").exists()
    return lambda: Prediction.objects.filter(model_version=str(run.pk)).exists()


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_killed_run_fails_and_the_previous_model_serves(
    settings, tmp_path, project, stage
):
    settings.VAR_DIR = tmp_path
    settings.ASSIST_EPOCHS = 1
    label_project(project, labelled=30, unlabelled=400)
    (previous,) = tasks.start_training(project, kinds=["entities"])  # runs at once
    previous.refresh_from_db()
    assert previous.status == "done", previous.error
    served = set(Prediction.objects.values_list("document_id", "model_version"))
    assert {version for _, version in served} == {str(previous.pk)}

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    (run,) = tasks.start_training(project, kinds=["entities"])
    process = worker(tmp_path, stage)
    try:
        wait_for(reached(run, stage), process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    connection.close()  # the killed worker's connection goes with it

    run.refresh_from_db()
    assert run.status == "running"  # nobody has noticed yet
    if stage == "predicting":  # some of its predictions were written, not all
        written = Prediction.objects.filter(model_version=str(run.pk)).count()
        assert 0 < written < 400
    assert runs.reap_stale(seconds=0) == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert "task worker stopped" in run.error and "previous model" in run.error
    assert ModelRun.objects.serving(project, "entities") == previous
    assert set(Prediction.objects.values_list("document_id", "model_version")) == served
    folder = runs.models_folder(project.pk)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [str(previous.pk), f"{previous.pk}.zip"]
    )
