"""The recommenders on the statistics page: each run with its held-out scores, and F1
against training size, one line per recommender."""

from __future__ import annotations

from dataclasses import dataclass

from annotate.assist import runs as assist_runs
from annotate.models import ModelRun, Project
from annotate.quality.charts import LineChart, points_chart

SHOWN_RUNS = 20


@dataclass(frozen=True)
class Recommenders:
    runs: list[ModelRun]
    chart: LineChart | None
    active: bool  # a run is queued or running: the section polls
    retrain_every: int


def recommenders(project: Project) -> Recommenders:
    """The project's latest runs and the chart of the finished ones."""
    assist_runs.reap_stale()
    shown = list(
        ModelRun.objects.for_project(project).select_related("user")[:SHOWN_RUNS]
    )
    series: dict[str, list[tuple[float, float]]] = {}
    finished = (
        ModelRun.objects.for_project(project)
        .done()
        .values_list("kind", "training_documents", "metrics")
    )
    for kind, size, metrics in finished:
        key = "micro_f1" if kind == ModelRun.Kind.ENTITIES else "macro_f1"
        if metrics.get(key) is not None:
            name = "entities (span F1)" if kind == "entities" else "stance (macro F1)"
            series.setdefault(name, []).append((size, metrics[key]))
    return Recommenders(
        runs=shown,
        chart=points_chart(series),
        active=any(run.is_active for run in shown),
        retrain_every=project.retrain_every,
    )
