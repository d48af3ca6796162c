from __future__ import annotations

import math
import random

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from annotate.models import (
    Assignment,
    Label,
    Membership,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from annotate.quality.agreement import (
    GOLD,
    CategoricalAgreement,
    SpanAgreement,
    SpanCounts,
    _count_overlapping,
    alpha_of_units,
    cohen_kappa,
    compare_spans,
    project_agreement,
    span_agreement,
)
from tests.conftest import make_document, make_user, member

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with
# four observers, twelve units and missing data (None).
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def units_of(matrix: list[list[int | None]]) -> list[list[int]]:
    """Coder-by-unit rows to the values of each unit, missing ones left out."""
    return [
        [value for value in column if value is not None]
        for column in zip(*matrix, strict=True)
    ]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)],
)
def test_it_reproduces_krippendorffs_worked_example(metric, expected):
    alpha = alpha_of_units(units_of(KRIPPENDORFF_EXAMPLE), metric)
    assert round(alpha, 3) == expected


def to_numpy(matrix: list[list[int | None]]) -> np.ndarray:
    return np.array(
        [[np.nan if v is None else v for v in row] for row in matrix], dtype=float
    )


reliability_matrices = st.integers(2, 5).flatmap(
    lambda coders: st.integers(2, 15).flatmap(
        lambda units: st.lists(
            st.lists(
                st.one_of(st.none(), st.integers(1, 5)),
                min_size=units,
                max_size=units,
            ),
            min_size=coders,
            max_size=coders,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(
    matrix=reliability_matrices,
    metric=st.sampled_from(["nominal", "ordinal", "interval"]),
)
def test_it_agrees_with_the_krippendorff_package(matrix, metric):
    units = units_of(matrix)
    pairable = [values for values in units if len(values) >= 2]
    assume(len({v for values in pairable for v in values}) >= 2)
    ours = alpha_of_units(units, metric)
    theirs = krippendorff.alpha(
        reliability_data=to_numpy(matrix), level_of_measurement=metric
    )
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_it_leaves_alpha_undefined_when_everyone_says_the_same():
    assert alpha_of_units([[1, 1], [1, 1, 1]]) is None
    assert alpha_of_units([[1], [2]]) is None


def test_it_computes_cohens_kappa_by_hand():
    # Wikipedia's example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4
    table = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    assert cohen_kappa(table) == pytest.approx(0.4)


# scikit-learn warns where kappa is undefined (one label in all); we return None there.
@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1),
    weights=st.sampled_from([None, "linear", "quadratic"]),
)
def test_it_agrees_with_scikit_learns_kappa(pairs, weights):
    table: dict = {}
    for pair in pairs:
        table[pair] = table.get(pair, 0) + 1
    ours = cohen_kappa(table, weights)
    left, right = zip(*pairs, strict=True)
    with np.errstate(all="ignore"):
        theirs = cohen_kappa_score(
            left, right, weights=weights, replace_undefined_by=np.nan
        )
    if ours is None:
        assert math.isnan(theirs)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_it_counts_exact_and_overlapping_spans():
    left = [(0, 13, 1), (25, 31, 2), (35, 41, 1)]
    right = [(0, 13, 1), (7, 13, 2), (26, 31, 2)]
    counts = compare_spans(left, right)
    assert counts[1] == SpanCounts(
        left=2, right=1, exact=1, left_overlapping=1, right_overlapping=1
    )
    assert counts[2] == SpanCounts(
        left=1, right=2, exact=0, left_overlapping=1, right_overlapping=1
    )
    assert counts[1].exact_f1 == pytest.approx(2 / 3)
    # overlap for label 2: recall 1/1, precision 1/2
    assert counts[2].overlap_f1 == pytest.approx(2 / 3)


spans = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 12), st.integers(1, 3)).map(
        lambda t: (t[0], t[0] + t[1], t[2])
    ),
    max_size=15,
)


@settings(max_examples=200, deadline=None)
@given(mine=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 9))), others=spans)
def test_it_finds_overlaps_like_a_brute_force_search(mine, others):
    mine = [(start, start + length) for start, length in mine]
    theirs = sorted({(start, end) for start, end, _ in others})
    expected = sum(1 for a, b in mine if any(a < d and c < b for c, d in theirs))
    assert _count_overlapping(mine, theirs) == expected


@settings(max_examples=200, deadline=None)
@given(left=spans, right=spans)
def test_it_never_scores_overlap_below_exact(left, right):
    for counts in compare_spans(left, right).values():
        assert counts.overlap_f1 >= counts.exact_f1 - 1e-12
    symmetric = compare_spans(right, left)
    for label, counts in compare_spans(left, right).items():
        assert counts.exact_f1 == symmetric[label].exact_f1
        assert counts.overlap_f1 == pytest.approx(symmetric[label].overlap_f1)


def test_it_counts_an_empty_submission_as_disagreement():
    agreement = SpanAgreement()
    agreement.add_document({1: [(0, 5, 1)], 2: []})
    assert agreement.total((1, 2)).exact_f1 == 0.0
    assert agreement.confusion[1, None] == 1


def test_it_keeps_gold_out_of_inter_annotator_figures():
    agreement = CategoricalAgreement()
    agreement.add_unit({GOLD: "favor", 1: "favor", 2: "against"})
    assert [(p.left, p.right) for p in agreement.pair_agreements()] == [(1, 2)]
    gold = agreement.pair_agreements(gold=True)
    assert [(p.left, p.right, p.agreed) for p in gold] == [
        (GOLD, 1, 1),
        (GOLD, 2, 0),
    ]
    assert sum(agreement.confusion.values()) == 2


def test_it_matches_the_package_on_a_seeded_random_project():
    rng = random.Random(20)
    matrix = [[rng.choice([None, 1, 2, 3, 4, 5]) for _ in range(300)] for _ in range(4)]
    agreement = CategoricalAgreement(metric="ordinal")
    for column in zip(*matrix, strict=True):
        agreement.add_unit({c + 1: v for c, v in enumerate(column) if v is not None})
    expected = krippendorff.alpha(
        reliability_data=to_numpy(matrix), level_of_measurement="ordinal"
    )
    assert agreement.alpha == pytest.approx(expected, abs=1e-9)


# The database side

TEXT = "Sergey Lavrov arrived in Bamako on Monday."
LAVROV, SERGEY_LAVROV, BAMAKO = (7, 13), (0, 13), (25, 31)


def submitted(
    document, user, *, status=Assignment.Status.SUBMITTED, is_gold=False, **fields
):
    return Assignment.objects.create(
        document=document, annotator=user, status=status, is_gold=is_gold, **fields
    )


def add_span(assignment, offsets, label):
    start, end = offsets
    return Span.objects.create(
        assignment=assignment, start=start, end=end, label=label, text=TEXT[start:end]
    )


@pytest.fixture
def labels(project):
    return {label.name: label for label in Label.objects.filter(project=project)}


@pytest.fixture
def two_annotators(project):
    return (
        member(project, "alice", Membership.Role.ANNOTATOR),
        member(project, "bob", Membership.Role.ANNOTATOR),
    )


@pytest.mark.django_db
def test_it_counts_only_submitted_work_made_here(
    project, labels, two_annotators, django_assert_num_queries
):
    alice, bob = two_annotators
    document = make_document(project, text=TEXT)
    add_span(submitted(document, alice), SERGEY_LAVROV, labels["PERSON"])
    add_span(submitted(document, bob), SERGEY_LAVROV, labels["PERSON"])
    in_progress = submitted(
        document, make_user("carol"), status=Assignment.Status.ASSIGNED
    )
    add_span(in_progress, BAMAKO, labels["GPE"])
    imported = submitted(
        document, make_user("imported:doccano", is_active=False), is_imported=True
    )
    add_span(imported, LAVROV, labels["ORG"])
    # A member deactivated since: their work stays counted.
    bob.is_active = False
    bob.save()
    with django_assert_num_queries(1):
        result = span_agreement(project)
    assert result.coder_pairs() == [(alice.pk, bob.pk)]
    assert result.total().exact_f1 == 1.0


@pytest.mark.django_db
def test_it_compares_annotators_with_gold(project, labels, two_annotators, reviewer):
    alice, bob = two_annotators
    document = make_document(project, text=TEXT)
    add_span(submitted(document, alice), SERGEY_LAVROV, labels["PERSON"])
    add_span(submitted(document, bob), LAVROV, labels["PERSON"])
    add_span(
        submitted(document, reviewer, is_gold=True), SERGEY_LAVROV, labels["PERSON"]
    )
    result = project_agreement(project).spans
    assert result.total((GOLD, alice.pk)).exact_f1 == 1.0
    assert result.total((GOLD, bob.pk)).exact_f1 == 0.0
    assert result.total((GOLD, bob.pk)).overlap_f1 == 1.0
    assert result.total().exact_f1 == 0.0


@pytest.mark.django_db
def test_it_measures_stance_and_reliability_per_unit(project, labels, two_annotators):
    alice, bob = two_annotators
    target = StanceTarget.objects.create(project=project, name="French presence")
    source = Source.objects.create(name="Sputnik")
    grades = {
        label.value: label
        for label in Label.objects.reliabilities().filter(project=project)
    }
    for text, (alice_stance, bob_stance), (alice_grade, bob_grade) in [
        ("One.", ("favor", "favor"), (1, 1)),
        ("Two.", ("against", "against"), (2, 3)),
        ("Three.", ("neutral", "against"), (5, 5)),
    ]:
        document = make_document(project, text=text)
        for user, stance, grade in [
            (alice, alice_stance, alice_grade),
            (bob, bob_stance, bob_grade),
        ]:
            assignment = submitted(document, user)
            Stance.objects.create(
                assignment=assignment, target=target, label=labels[stance]
            )
            Rating.objects.create(
                assignment=assignment,
                source=source,
                role=Rating.Role.CITED,
                label=grades[grade],
            )
    result = project_agreement(project)
    stance_values = [["favor", "against", "neutral"], ["favor", "against", "against"]]
    assert result.stance.alpha == pytest.approx(
        alpha_of_units(zip(*stance_values, strict=True))
    )
    assert result.stance.units == 3
    assert result.reliability.alpha == pytest.approx(
        alpha_of_units([(1, 1), (2, 3), (5, 5)], "ordinal")
    )
    assert result.reliability.alpha_by_group().keys() == {Rating.Role.CITED}
    [pair] = result.stance.pair_agreements()
    assert (pair.units, pair.agreed) == (3, 2)
