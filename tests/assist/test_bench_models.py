"""The effort simulation and the CoNLL reading of bench/models.py."""

from __future__ import annotations

from annotate.assist.training import Example
from bench.models import _example, actions, dictionary, dictionary_spans


def test_actions_count_the_fewest_steps_to_the_gold():
    gold = {(0, 5, "PER"), (10, 15, "LOC"), (20, 25, "ORG")}
    assert actions(gold, set()) == 6  # make three spans
    suggested = {(0, 5, "PER"), (10, 15, "ORG"), (30, 35, "LOC")}
    # accept 1 + relabel 1 + delete 1 + make the ORG span 2
    assert actions(gold, suggested) == 5
    assert actions(gold, gold) == 3


def test_conll_tags_become_offsets_into_the_joined_text():
    example = _example(
        0,
        [
            [("EU", "B-ORG"), ("rejects", "O"), ("German", "B-MISC")],
            [("Peter", "B-PER"), ("Blackburn", "I-PER")],
        ],
    )
    assert example.text == "EU rejects German\nPeter Blackburn"
    found = [(example.text[s:e], label) for s, e, label in example.spans]
    assert found == [("EU", "ORG"), ("German", "MISC"), ("Peter Blackburn", "PER")]


def test_the_dictionary_suggests_strings_labelled_before_at_word_edges():
    words = dictionary(
        [Example(1, "Paris and Paris Hilton", spans=[(10, 22, "PER"), (0, 5, "LOC")])]
    )
    assert dictionary_spans(words, "Paris Hilton left Parisian Paris.") == [
        (0, 12, "PER"),
        (27, 32, "LOC"),
    ]
