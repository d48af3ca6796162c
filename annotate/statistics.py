"""A project's statistics: label distribution, progress, agreement and label confusion,
shaped for the statistics page (tables and SVG charts).

Every figure comes from aggregate queries or the streamed agreement pass: the number of
queries does not grow with documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from annotate.agreement import (
    GOLD,
    CategoricalAgreement,
    PairAgreement,
    SpanAgreement,
    counted_assignments,
    project_agreement,
)
from annotate.charts import (
    BarChart,
    Heatmap,
    LineChart,
    bar_chart,
    cumulative_chart,
    heatmap,
)
from annotate.models import Assignment, Label, Project, Rating, Span, Stance

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
            annotator__is_active=True,
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
