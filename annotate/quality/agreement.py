"""Inter-annotator agreement: span F1, Cohen's kappa and Krippendorff's alpha.

Every figure comes from one pass over a query ordered by unit (a document, or a document
and a stance target / a rated source), streamed with `.iterator()`: memory holds one unit
at a time plus counters that grow with labels and annotator pairs, never with documents.
The arithmetic lives in small accumulators that know nothing of the database, so tests
check them against hand-computed values and against the `krippendorff` and scikit-learn
reference implementations.

Who counts: submitted, non-gold assignments made here (deactivated members' included);
imported annotations (Assignment.is_imported) are left out. The gold version (is_gold) never
enters the inter-annotator figures; each annotator is compared with it separately.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate, combinations, groupby, zip_longest
from typing import Literal

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from annotate.models import Assignment, Project, Rating, Stance

# The coder id standing for the gold version; user ids start at 1, so it sorts first.
GOLD = 0
STREAM_CHUNK = 20_000

type Coder = int
type Pair = tuple[Coder, Coder]
type SpanKey = tuple[int, int, int]  # start, end, label id
type Metric = Literal["nominal", "ordinal", "interval"]
type Weights = Literal["linear", "quadratic"] | None


# Spans


@dataclass
class SpanCounts:
    """Span match counts between a left and a right coder over the documents both did."""

    left: int = 0
    right: int = 0
    exact: int = 0
    left_overlapping: int = (
        0  # left spans overlapping some right span of the same label
    )
    right_overlapping: int = 0

    def add(self, other: SpanCounts) -> None:
        self.left += other.left
        self.right += other.right
        self.exact += other.exact
        self.left_overlapping += other.left_overlapping
        self.right_overlapping += other.right_overlapping

    @property
    def exact_f1(self) -> float | None:
        total = self.left + self.right
        return 2 * self.exact / total if total else None

    @property
    def overlap_f1(self) -> float | None:
        """F1 where a span counts as found when the other coder has an overlapping one."""
        if not (self.left or self.right):
            return None
        recall = self.left_overlapping / self.left if self.left else 0.0
        precision = self.right_overlapping / self.right if self.right else 0.0
        if not (recall + precision):
            return 0.0
        return 2 * precision * recall / (precision + recall)


def _count_overlapping(spans: Iterable[tuple[int, int]], others: list) -> int:
    """How many of `spans` overlap at least one of `others` (sorted), in O(n log m)."""
    if not others:
        return 0
    starts = [start for start, _ in others]
    # furthest end among the others that start at or before each position
    furthest = list(accumulate((end for _, end in others), max))
    count = 0
    for start, end in spans:
        before = bisect_left(starts, end)  # others starting before this span ends
        if before and furthest[before - 1] > start:
            count += 1
    return count


def compare_spans(
    left: Iterable[SpanKey], right: Iterable[SpanKey]
) -> dict[int, SpanCounts]:
    """Exact and overlap matches of two coders' spans in one document, per label id."""
    left_by_label: dict[int, set[tuple[int, int]]] = defaultdict(set)
    right_by_label: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for start, end, label in left:
        left_by_label[label].add((start, end))
    for start, end, label in right:
        right_by_label[label].add((start, end))
    counts = {}
    for label in left_by_label.keys() | right_by_label.keys():
        mine, theirs = left_by_label.get(label, set()), right_by_label.get(label, set())
        counts[label] = SpanCounts(
            left=len(mine),
            right=len(theirs),
            exact=len(mine & theirs),
            left_overlapping=_count_overlapping(mine, sorted(theirs)),
            right_overlapping=_count_overlapping(theirs, sorted(mine)),
        )
    return counts


def span_label_pairs(
    left: Iterable[SpanKey], right: Iterable[SpanKey]
) -> Iterator[tuple[int | None, int | None]]:
    """(left label, right label) for spans at the same offsets; None where one has none.

    Where both coders put several labels on the same offsets, the shared labels pair
    with themselves and the rest pair up in label-id order.
    """
    left_at: dict[tuple[int, int], set[int]] = defaultdict(set)
    right_at: dict[tuple[int, int], set[int]] = defaultdict(set)
    for start, end, label in left:
        left_at[start, end].add(label)
    for start, end, label in right:
        right_at[start, end].add(label)
    for offsets in left_at.keys() | right_at.keys():
        mine, theirs = left_at.get(offsets, set()), right_at.get(offsets, set())
        for label in mine & theirs:
            yield label, label
        yield from zip_longest(sorted(mine - theirs), sorted(theirs - mine))


@dataclass
class SpanAgreement:
    """Pairwise span agreement, accumulated one document at a time."""

    # (coder, coder) -> label id -> counts; pairs with GOLD compare an annotator with gold
    pairs: dict[Pair, dict[int, SpanCounts]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # label confusion on identical offsets between annotators, symmetric
    confusion: Counter = field(default_factory=Counter)
    documents: int = 0

    def add_document(self, spans_by_coder: Mapping[Coder, Iterable[SpanKey]]) -> None:
        """Compare every two coders who submitted the document (an empty one counts)."""
        spans = {coder: list(keys) for coder, keys in spans_by_coder.items()}
        if len(spans) < 2:
            return
        self.documents += 1
        for left, right in combinations(sorted(spans), 2):
            per_label = self.pairs[left, right]
            for label, counts in compare_spans(spans[left], spans[right]).items():
                per_label.setdefault(label, SpanCounts()).add(counts)
            if left == GOLD:
                continue
            for mine, theirs in span_label_pairs(spans[left], spans[right]):
                self.confusion[mine, theirs] += 1
                if mine != theirs:
                    self.confusion[theirs, mine] += 1

    def by_label(self, *, gold: bool = False) -> dict[int, SpanCounts]:
        """Counts per label summed over annotator pairs (or annotator-gold pairs)."""
        totals: dict[int, SpanCounts] = defaultdict(SpanCounts)
        for (left, _), per_label in self.pairs.items():
            if (left == GOLD) == gold:
                for label, counts in per_label.items():
                    totals[label].add(counts)
        return dict(totals)

    def total(self, pair: Pair | None = None, *, gold: bool = False) -> SpanCounts:
        """Counts over every label, for one pair or summed over all (micro average)."""
        total = SpanCounts()
        groups = [self.pairs.get(pair, {})] if pair else [self.by_label(gold=gold)]
        for per_label in groups:
            for counts in per_label.values():
                total.add(counts)
        return total

    def coder_pairs(self, *, gold: bool = False) -> list[Pair]:
        return sorted(pair for pair in self.pairs if (pair[0] == GOLD) == gold)


# Categories: stance labels and reliability grades


def _delta(metric: Metric, marginals: Mapping) -> Callable[[Hashable, Hashable], float]:
    """Krippendorff's squared difference function for the level of measurement."""
    if metric == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if metric == "interval":
        return lambda c, k: float(c - k) ** 2
    order = sorted(marginals)
    rank = {value: i for i, value in enumerate(order)}
    # cumulative[i] = sum of the marginals of the categories ranked below i
    cumulative = [0.0, *accumulate(marginals[value] for value in order)]

    def ordinal(c: Hashable, k: Hashable) -> float:
        low, high = sorted((rank[c], rank[k]))
        between = cumulative[high + 1] - cumulative[low]
        return (between - (marginals[c] + marginals[k]) / 2) ** 2

    return ordinal


def add_coincidences(coincidences: Counter, values: Iterable[Hashable]) -> None:
    """Add one unit's pairable values to a coincidence matrix (each pair weighs 1/(m-1))."""
    counts = Counter(values)
    pairable = sum(counts.values())
    if pairable < 2:
        return
    for c, n_c in counts.items():
        for k, n_k in counts.items():
            together = n_c * (n_c - 1) if c == k else n_c * n_k
            if together:
                coincidences[c, k] += together / (pairable - 1)


def krippendorff_alpha(
    coincidences: Mapping[tuple[Hashable, Hashable], float],
    metric: Metric = "nominal",
) -> float | None:
    """Alpha from a coincidence matrix; None when undefined (no pairs, or one category)."""
    marginals: dict[Hashable, float] = defaultdict(float)
    for (c, _), weight in coincidences.items():
        marginals[c] += weight
    total = sum(marginals.values())
    if total <= 1:
        return None
    delta = _delta(metric, marginals)
    observed = sum(w * delta(c, k) for (c, k), w in coincidences.items())
    expected = sum(
        marginals[c] * marginals[k] * delta(c, k) for c in marginals for k in marginals
    ) / (total - 1)
    if not expected:
        return None
    return 1 - observed / expected


def alpha_of_units(
    units: Iterable[Iterable[Hashable]], metric: Metric = "nominal"
) -> float | None:
    """Alpha of units given as the values their coders gave (missing ones left out)."""
    coincidences: Counter = Counter()
    for values in units:
        add_coincidences(coincidences, values)
    return krippendorff_alpha(coincidences, metric)


def cohen_kappa(
    table: Mapping[tuple[Hashable, Hashable], int], weights: Weights = None
) -> float | None:
    """Cohen's kappa from counts of (left value, right value), as scikit-learn computes it.

    Weighted kappa measures distance by position in the sorted categories. None when
    undefined (no units, or chance agreement is already perfect).
    """
    categories = sorted({value for pair in table for value in pair})
    position = {value: i for i, value in enumerate(categories)}

    def weight(a: Hashable, b: Hashable) -> float:
        distance = abs(position[a] - position[b])
        if weights == "linear":
            return float(distance)
        if weights == "quadratic":
            return float(distance**2)
        return 0.0 if a == b else 1.0

    total = sum(table.values())
    left, right = Counter(), Counter()
    for (a, b), n in table.items():
        left[a] += n
        right[b] += n
    observed = sum(n * weight(a, b) for (a, b), n in table.items())
    expected = sum(
        left[a] * right[b] * weight(a, b) for a in categories for b in categories
    ) / (total or 1)
    if not expected:
        return None
    return 1 - observed / expected


@dataclass
class PairAgreement:
    left: Coder
    right: Coder
    units: int
    agreed: int
    kappa: float | None

    @property
    def observed(self) -> float | None:
        return self.agreed / self.units if self.units else None


@dataclass
class CategoricalAgreement:
    """Agreement on one categorical judgement per unit, accumulated unit by unit."""

    metric: Metric = "nominal"
    kappa_weights: Weights = None
    coincidences: Counter = field(default_factory=Counter)
    # group (stance target, rating role) -> coincidences, for alpha per group
    group_coincidences: dict[Hashable, Counter] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    tables: dict[Pair, Counter] = field(default_factory=lambda: defaultdict(Counter))
    confusion: Counter = field(default_factory=Counter)
    units: int = 0

    def add_unit(
        self, values_by_coder: Mapping[Coder, Hashable], group: Hashable = None
    ) -> None:
        coders = sorted(values_by_coder)
        annotators = [coder for coder in coders if coder != GOLD]
        if len(annotators) >= 2:
            self.units += 1
            values = [values_by_coder[coder] for coder in annotators]
            add_coincidences(self.coincidences, values)
            add_coincidences(self.group_coincidences[group], values)
        for left, right in combinations(coders, 2):
            mine, theirs = values_by_coder[left], values_by_coder[right]
            self.tables[left, right][mine, theirs] += 1
            if left != GOLD:
                self.confusion[mine, theirs] += 1
                if mine != theirs:
                    self.confusion[theirs, mine] += 1

    @property
    def alpha(self) -> float | None:
        return krippendorff_alpha(self.coincidences, self.metric)

    def alpha_by_group(self) -> dict[Hashable, float | None]:
        return {
            group: krippendorff_alpha(coincidences, self.metric)
            for group, coincidences in self.group_coincidences.items()
        }

    def specific_agreement(self) -> dict[Hashable, float]:
        """Per category: the share of its pairable values that another coder matched."""
        marginals: Counter = Counter()
        for (c, _), weight in self.coincidences.items():
            marginals[c] += weight
        return {
            c: self.coincidences.get((c, c), 0.0) / n for c, n in marginals.items() if n
        }

    def pair_agreements(self, *, gold: bool = False) -> list[PairAgreement]:
        return [
            PairAgreement(
                left=left,
                right=right,
                units=sum(table.values()),
                agreed=sum(n for (a, b), n in table.items() if a == b),
                kappa=cohen_kappa(table, self.kappa_weights),
            )
            for (left, right), table in sorted(self.tables.items())
            if (left == GOLD) == gold
        ]

    @property
    def mean_kappa(self) -> float | None:
        kappas = [p.kappa for p in self.pair_agreements() if p.kappa is not None]
        return sum(kappas) / len(kappas) if kappas else None


# The database side: one streamed query per kind of judgement


def counted_assignments(project: Project) -> QuerySet[Assignment]:
    """The project's assignments that count: submitted work made here, plus gold.

    Gold counts from the moment it exists (whatever its status), so reviewers watch
    annotators' agreement with it while they build it.
    """
    return Assignment.objects.filter(document__project=project).filter(
        Q(is_gold=False, status=Assignment.Status.SUBMITTED, is_imported=False)
        | Q(is_gold=True)
    )


def _coder(prefix: str = "") -> Case:
    return Case(
        When(**{f"{prefix}is_gold": True}, then=Value(GOLD)),
        default=F(f"{prefix}annotator_id"),
        output_field=IntegerField(),
    )


def span_agreement(project: Project) -> SpanAgreement:
    """Span F1 for every pair; one query, streamed in document order."""
    rows = (
        counted_assignments(project)
        .annotate(coder=_coder())
        .order_by("document_id", "id")
        .values_list(
            "document_id", "coder", "spans__start", "spans__end", "spans__label_id"
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    result = SpanAgreement()
    for _, document_rows in groupby(rows, key=lambda row: row[0]):
        spans_by_coder: dict[Coder, list[SpanKey]] = {}
        for _, coder, start, end, label in document_rows:
            # an assignment with no spans still counts, as an empty set
            found = spans_by_coder.setdefault(coder, [])
            if start is not None:
                found.append((start, end, label))
        result.add_document(spans_by_coder)
    return result


def stance_agreement(project: Project) -> CategoricalAgreement:
    """Nominal agreement on stance; a unit is (document, target), grouped by target."""
    rows = (
        Stance.objects.filter(assignment__in=counted_assignments(project))
        .annotate(coder=_coder("assignment__"))
        .order_by("assignment__document_id", "target_id")
        .values_list("assignment__document_id", "target_id", "coder", "label_id")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    result = CategoricalAgreement(metric="nominal")
    for (_, target), unit_rows in groupby(rows, key=lambda row: row[:2]):
        result.add_unit({coder: label for _, _, coder, label in unit_rows}, target)
    return result


def reliability_agreement(
    project: Project | None = None, *, ratings: QuerySet[Rating] | None = None
) -> CategoricalAgreement:
    """Ordinal agreement on reliability grades (by label value); a unit is
    (document, source, role), grouped by role. Give `ratings` to narrow it (one source)."""
    if ratings is None:
        ratings = Rating.objects.filter(assignment__in=counted_assignments(project))
    rows = (
        ratings.annotate(coder=_coder("assignment__"))
        .order_by("assignment__document_id", "source_id", "role")
        .values_list(
            "assignment__document_id", "source_id", "role", "coder", "label__value"
        )
        .iterator(chunk_size=STREAM_CHUNK)
    )
    result = CategoricalAgreement(metric="ordinal", kappa_weights="quadratic")
    for (_, _, role), unit_rows in groupby(rows, key=lambda row: row[:3]):
        result.add_unit({coder: value for *_, coder, value in unit_rows}, role)
    return result


@dataclass
class ProjectAgreement:
    spans: SpanAgreement
    stance: CategoricalAgreement
    reliability: CategoricalAgreement


def project_agreement(project: Project) -> ProjectAgreement:
    """Every agreement figure of a project: three streamed queries."""
    return ProjectAgreement(
        spans=span_agreement(project),
        stance=stance_agreement(project),
        reliability=reliability_agreement(project),
    )
