"""The recommenders' background task (django.tasks, run by `manage.py db_worker`) and
what queues it: Train now, and retraining after Project.retrain_every newly accepted
documents."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from annotate.assist import runs
from annotate.assist.training import labelled_count
from annotate.models import ModelRun, Project


@task
def train_task(run_id: int) -> None:
    runs.execute(run_id)


def start_training(
    project: Project,
    *,
    user=None,
    trigger: str = ModelRun.Trigger.MANUAL,
    kinds: list[str] | None = None,
) -> list[ModelRun]:
    """Queue a run of each recommender (not a second while one is queued or running);
    returns the runs queued."""
    runs.reap_stale()
    queued = []
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        busy = set(
            ModelRun.objects.for_project(project)
            .active()
            .values_list("kind", flat=True)
        )
        count = labelled_count(project)
        for kind in kinds or runs.trainable_kinds(project):
            if kind in busy:
                continue
            run = ModelRun.objects.create(
                project=project,
                kind=kind,
                user=user,
                trigger=trigger,
                accepted_documents=count,
            )
            queued.append(run)
            transaction.on_commit(lambda pk=run.pk: train_task.enqueue(pk))
    return queued


def train_if_due(project_id: int) -> list[ModelRun]:
    """Queue runs when Project.retrain_every documents were accepted since the last
    run was queued (what review.decisions calls after an accept)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not project.retrain_every:
        return []
    last = (
        ModelRun.objects.for_project(project)
        .exclude(status=ModelRun.Status.FAILED)
        .order_by("-pk")
        .values_list("accepted_documents", flat=True)
        .first()
    ) or 0
    if labelled_count(project) - last < project.retrain_every:
        return []
    return start_training(project, trigger=ModelRun.Trigger.ACCEPTED)
