"""The recommenders on the statistics page: each run with its held-out scores, and F1
against training size, one line per recommender (over the runs shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from annotate.assist import runs as assist_runs
from annotate.models import ModelRun, Project
from annotate.quality.charts import LineChart, points_chart

SHOWN_RUNS = 20


@dataclass(frozen=True)
class Recommenders:
    runs: list[ModelRun]
    latest: list[ModelRun]  # the newest finished run of each kind
    chart: LineChart | None
    active: bool  # a run is queued or running: the section polls
    retrain_every: int


def recommenders(project: Project) -> Recommenders:
    """The project's latest runs and the chart of the finished ones among them: one
    query (two when a run's worker died and it is marked failed first)."""
    shown = list(
        ModelRun.objects.for_project(project).select_related("user")[:SHOWN_RUNS]
    )
    deadline = timezone.now() - timedelta(seconds=settings.ASSIST_STALE_SECONDS)
    if any(
        run.status == ModelRun.Status.RUNNING and run.heartbeat_at < deadline
        for run in shown
    ):
        assist_runs.reap_stale()
        shown = list(
            ModelRun.objects.for_project(project).select_related("user")[:SHOWN_RUNS]
        )
    series: dict[str, list[tuple[float, float]]] = {}
    latest: dict[str, ModelRun] = {}
    for run in shown:
        if run.status != ModelRun.Status.DONE or run.headline_f1 is None:
            continue
        latest.setdefault(run.kind, run)
        name = "entities (span F1)" if run.kind == "entities" else "stance (macro F1)"
        series.setdefault(name, []).append((run.training_documents, run.headline_f1))
    return Recommenders(
        runs=shown,
        latest=list(latest.values()),
        chart=points_chart(series),
        active=any(run.is_active for run in shown),
        retrain_every=project.retrain_every,
    )
