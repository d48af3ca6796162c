"""A project's statistics: label distribution, progress, agreement and label confusion,
shaped for the statistics page (tables and SVG charts).

Every figure comes from aggregate queries or the streamed agreement pass: the number of
queries does not grow with documents, but the time does (about 2.4 s at 100k spans). So
the page shows a stored snapshot (StatisticsSnapshot) and a background task refreshes it
once it is older than settings.STATISTICS_MAX_AGE: stale-while-revalidate.
"""

from __future__ import annotations

import pickle
import time
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.tasks import task
from django.utils import timezone

from annotate.models import (
    Assignment,
    Label,
    Project,
    Rating,
    Span,
    Stance,
    StatisticsSnapshot,
)
from annotate.models.snapshots import REFRESH_CLAIM_TIMEOUT, SNAPSHOT_FORMAT
from annotate.quality.agreement import (
    GOLD,
    CategoricalAgreement,
    PairAgreement,
    SpanAgreement,
    counted_assignments,
    project_agreement,
)
from annotate.quality.charts import (
    BarChart,
    Heatmap,
    LineChart,
    bar_chart,
    cumulative_chart,
    heatmap,
)

NONE_LABEL = "(none)"


def _annotators_work(project: Project):
    """Inter-annotator work only: gold left out."""
    return counted_assignments(project).filter(is_gold=False)


def label_distribution(project: Project) -> dict[str, BarChart]:
    """Per label kind, how often each label was given in submitted work. Four queries."""
    labels = list(Label.objects.filter(project=project))
    work = _annotators_work(project)
    counts: dict[int, int] = {}
    for model in (Span, Stance, Rating):
        rows = (
            model.objects.filter(assignment__in=work)
            .values_list("label_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update(rows)
    charts = {}
    for kind, title in Label.Kind.choices:
        items = [
            (label.name, counts.get(label.pk, 0), label.colour)
            for label in labels
            if label.kind == kind
        ]
        if items:
            charts[title] = bar_chart(items)
    return charts


@dataclass(frozen=True)
class AnnotatorProgress:
    username: str
    assigned: int
    submitted: int
    skipped: int
    accepted: int
    rejected: int


def annotator_progress(
    project: Project,
) -> tuple[list[AnnotatorProgress], LineChart | None]:
    """Per annotator: counts by status and review state, and submissions over time."""
    mine = Assignment.objects.filter(document__project=project, is_gold=False)
    Status, State = Assignment.Status, Assignment.ReviewState
    rows = (
        mine.values("annotator__username")
        .annotate(
            assigned=Count("id", filter=Q(status=Status.ASSIGNED)),
            submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
            skipped=Count("id", filter=Q(status=Status.SKIPPED)),
            accepted=Count("id", filter=Q(review_state=State.ACCEPTED)),
            rejected=Count("id", filter=Q(review_state=State.REJECTED)),
        )
        .order_by("annotator__username")
    )
    table = [
        AnnotatorProgress(username=row.pop("annotator__username"), **row)
        for row in rows
    ]
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    submissions = (
        mine.filter(
            status=Status.SUBMITTED,
            submitted_at__isnull=False,
            is_imported=False,
        )
        .annotate(day=TruncDate("submitted_at"))
        .values_list("annotator__username", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for username, day, n in submissions:
        per_day[username][day] = n
    return table, cumulative_chart(per_day)


@dataclass(frozen=True)
class Score:
    """One row of an agreement table."""

    name: str
    units: int
    first: float | None
    second: float | None


def _usernames(ids: set[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=ids - {GOLD})
    return {GOLD: "gold", **dict(users.values_list("pk", "username"))}


def _span_score(name: str, counts) -> Score:
    return Score(name, counts.left + counts.right, counts.exact_f1, counts.overlap_f1)


def _span_tables(spans: SpanAgreement, names, labels) -> dict:
    by_label = sorted(spans.by_label().items(), key=lambda i: labels.get(i[0], ""))
    return {
        "by_label": [_span_score(labels.get(k, "?"), c) for k, c in by_label],
        "total": _span_score("all labels", spans.total()),
        "pairs": [
            _span_score(f"{names[a]} · {names[b]}", spans.total((a, b)))
            for a, b in spans.coder_pairs()
        ],
        "gold": [
            _span_score(names[b], spans.total((a, b)))
            for a, b in spans.coder_pairs(gold=True)
        ],
        "documents": spans.documents,
    }


def _pair_scores(pairs: list[PairAgreement], names, *, gold: bool) -> list[Score]:
    return [
        Score(
            names[p.right] if gold else f"{names[p.left]} · {names[p.right]}",
            p.units,
            p.observed,
            p.kappa,
        )
        for p in pairs
    ]


def _categorical_tables(
    agreement: CategoricalAgreement, names, category_name, group_name
) -> dict:
    specific = agreement.specific_agreement()
    return {
        "alpha": agreement.alpha,
        "mean_kappa": agreement.mean_kappa,
        "units": agreement.units,
        "groups": [
            Score(group_name(group), 0, alpha, None)
            for group, alpha in sorted(
                agreement.alpha_by_group().items(), key=lambda i: str(group_name(i[0]))
            )
        ],
        "categories": [
            Score(category_name(c), 0, share, None)
            for c, share in sorted(specific.items())
        ],
        "pairs": _pair_scores(agreement.pair_agreements(), names, gold=False),
        "gold": _pair_scores(agreement.pair_agreements(gold=True), names, gold=True),
    }


def confusion_heatmap(
    confusion: Mapping[tuple[Hashable, Hashable], int], names: Mapping[Hashable, str]
) -> Heatmap | None:
    """The symmetric label confusion between annotators, as a heatmap."""
    keys = sorted(
        {k for pair in confusion for k in pair},
        key=lambda k: (k is None, names.get(k, "")),
    )
    position = {key: i for i, key in enumerate(keys)}
    return heatmap(
        [names.get(key, NONE_LABEL) for key in keys],
        {(position[a], position[b]): n for (a, b), n in confusion.items()},
    )


@dataclass
class ProjectStatistics:
    distribution: dict[str, BarChart]
    progress: list[AnnotatorProgress]
    progress_chart: LineChart | None
    spans: dict
    stance: dict
    reliability: dict
    span_confusion: Heatmap | None
    stance_confusion: Heatmap | None


def project_statistics(project: Project) -> ProjectStatistics:
    agreement = project_agreement(project)
    coders = {c for pair in agreement.spans.pairs for c in pair}
    for categorical in (agreement.stance, agreement.reliability):
        coders |= {c for pair in categorical.tables for c in pair}
    names = _usernames(coders)
    labels = dict(Label.objects.filter(project=project).values_list("pk", "name"))
    targets = dict(project.stance_targets.values_list("pk", "name"))
    grades = dict(
        Label.objects.reliabilities()
        .filter(project=project)
        .values_list("value", "name")
    )
    progress, progress_chart = annotator_progress(project)
    return ProjectStatistics(
        distribution=label_distribution(project),
        progress=progress,
        progress_chart=progress_chart,
        spans=_span_tables(agreement.spans, names, labels),
        stance=_categorical_tables(
            agreement.stance,
            names,
            lambda c: labels.get(c, "?"),
            lambda g: targets.get(g, "?"),
        ),
        reliability=_categorical_tables(
            agreement.reliability,
            names,
            lambda value: f"{value} · {grades.get(value, '')}",
            lambda g: Rating.Role(g).label,
        ),
        span_confusion=confusion_heatmap(agreement.spans.confusion, labels),
        stance_confusion=confusion_heatmap(agreement.stance.confusion, labels),
    )


# Snapshots: stored statistics and their refresh


def compute_snapshot(project: Project) -> tuple[StatisticsSnapshot, ProjectStatistics]:
    """Compute the project's statistics and store them as its snapshot; answers any
    refresh requested before the computation started. The full cost of
    project_statistics, plus two queries."""
    started = timezone.now()
    clock = time.perf_counter()
    documents = project.document_count  # kept by triggers: no count over the corpus
    stats = project_statistics(project)
    values = {
        "payload": pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL),
        "format": SNAPSHOT_FORMAT,
        "computed_at": started,
        "duration": time.perf_counter() - clock,
        "documents": documents,
    }
    rows = StatisticsSnapshot.objects.filter(project=project)
    # Never replace figures computed from newer data (two computations overlapping).
    newer_or_none = Q(computed_at__isnull=True) | Q(computed_at__lte=started)
    # A refresh asked for during the computation is still owed; an earlier one is done.
    answered = Case(
        When(refresh_requested_at__lte=started, then=Value(None)),
        default=F("refresh_requested_at"),
    )
    if not rows.filter(newer_or_none).update(**values, refresh_requested_at=answered):
        StatisticsSnapshot.objects.get_or_create(project=project, defaults=values)
    return StatisticsSnapshot(project=project, **values), stats


def request_refresh(
    project: Project, snapshot: StatisticsSnapshot | None
) -> StatisticsSnapshot:
    """Queue one refresh task unless one is already pending; returns the snapshot row as
    it now stands. No query when `snapshot` shows a pending refresh, one UPDATE (plus an
    INSERT when there is no row yet, and the task's) otherwise."""
    if snapshot is not None and snapshot.refreshing:
        return snapshot
    if snapshot is None:
        snapshot, _ = StatisticsSnapshot.objects.get_or_create(project=project)
    now = timezone.now()
    # The conditional UPDATE is the lock: of many requests at once, one sets the claim.
    unclaimed = Q(refresh_requested_at__isnull=True) | Q(
        refresh_requested_at__lt=now - REFRESH_CLAIM_TIMEOUT
    )
    claimed = (
        StatisticsSnapshot.objects.filter(project=project)
        .filter(unclaimed)
        .update(refresh_requested_at=now)
    )
    snapshot.refresh_requested_at = now
    if claimed:
        refresh_statistics.enqueue(project.pk, now.isoformat())
    return snapshot


@task
def refresh_statistics(project_id: int, requested_at: str) -> None:
    """Recompute a project's snapshot, unless a computation that started after the
    request has stored one already (an inline one, or a duplicate task)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:  # deleted since: nothing to refresh
        return
    requested = datetime.fromisoformat(requested_at)
    done = StatisticsSnapshot.objects.filter(
        project=project, computed_at__gte=requested
    ).exists()
    if not done:
        compute_snapshot(project)
