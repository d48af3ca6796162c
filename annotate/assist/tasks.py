"""The recommenders' background task (django.tasks, run by `manage.py db_worker`)."""

from __future__ import annotations

from django.tasks import task

from annotate.assist import runs


@task
def train_task(run_id: int) -> None:
    runs.execute(run_id)
