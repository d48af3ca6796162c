"""The suggestions a user sees are the same with the Aho–Corasick matcher as with the
one compiled alternation it replaced (kept here, and only here, as the reference): on
the seed articles and generated news, with a generated 5,000-term vocabulary, with and
without the annotator's own spans, dismissals and retired labels. And the automaton is
built once per vocabulary, not per request."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from annotate.labelling import matcher as matcher_module
from annotate.labelling.suggestions import Suggestion, Vocabulary
from bench.corpus import articles

LABELS = (1, 2, 3, 4)


def reference(
    uses: dict[tuple[str, int], int],
    text: str,
    *,
    own: list[tuple[str, int, int, int]],
    dismissed: set[tuple[int, int, int]],
    retired: frozenset[int],
    subtract_own: bool,
) -> list[Suggestion]:
    """The matcher as it was before issue 20 (annotate/labelling/suggestions.py)."""
    counted = Counter(uses)
    if subtract_own:
        counted.subtract((span[0], span[1]) for span in own)
    label_of: dict[str, int] = {}
    for (term, label_id), count in counted.most_common():
        if label_id in retired:
            continue
        if count > 0 and len(term.strip()) >= 2:
            label_of.setdefault(term, label_id)
    if not label_of:
        return []
    taken = {(span[2], span[3]) for span in own}
    longest_first = sorted(sorted(label_of), key=len, reverse=True)
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in longest_first) + r")(?!\w)"
    )
    found = []
    for match in pattern.finditer(text):
        label_id = label_of[match.group()]
        where = (match.start(), match.end())
        if where not in taken and (*where, label_id) not in dismissed:
            found.append(Suggestion(*where, label_id, match.group()))
    return found


def texts(shared_data) -> list[str]:
    seeds = sorted((shared_data / "seeds").glob("*.txt"))
    assert seeds, "no seed articles"
    generated = "\n\n".join(item["text"] for item in articles(8, seed=3))
    return [path.read_text(encoding="utf-8") for path in seeds] + [generated]


def generated_vocabulary(texts: list[str], size: int, seed: int) -> dict:
    """`size` (string, label) pairs: words and runs of words of the texts (so that they
    are found, nested in one another: "Sergey Lavrov" and "Lavrov"), pieces that end
    inside a word, strings with spaces or punctuation at their ends, one-character
    strings, and strings found nowhere; several labels for some strings, with ties."""
    rng = random.Random(seed)
    words = [re.findall(r"\S+", text) for text in texts]
    terms: list[str] = []
    while len(terms) < size * 3 // 4:
        chosen = rng.choice(words)
        at = rng.randrange(len(chosen))
        term = " ".join(chosen[at : at + rng.choice((1, 1, 1, 2, 2, 3))])
        shape = rng.random()
        if shape < 0.1:
            term = term[: max(1, len(term) // 2)]  # ends inside a word
        elif shape < 0.15:
            term = " " + term
        elif shape < 0.2:
            term = term.strip(".,;:\"'()")
        elif shape < 0.23:
            term = term[:1]
        terms.append(term)
    while len(terms) < size:
        terms.append(f"nowhere{len(terms)}")
    uses: dict[tuple[str, int], int] = {}
    for term in terms:
        for label_id in rng.sample(LABELS, rng.choice((1, 1, 1, 2, 3))):
            uses.setdefault((term, label_id), rng.choice((1, 1, 2, 2, 3, 5, 8)))
    # Most used first, as the vocabulary query returns them.
    return dict(sorted(list(uses.items())[:size], key=lambda item: -item[1]))


def own_spans(found: list[Suggestion], rng: random.Random) -> list[tuple]:
    """Some of the suggestions labelled by the annotator, some with another label,
    and a span of a string the vocabulary does not have."""
    own = []
    for item in rng.sample(found, min(len(found), 60)):
        label_id = item.label_id if rng.random() < 0.7 else rng.choice(LABELS)
        own.append((item.text, label_id, item.start, item.end))
    own.append(("not in the vocabulary", 1, 0, 3))
    return own


def compare(vocabulary: Vocabulary, uses: dict, text: str, key: object, **given):
    expected = reference(uses, text, **given)
    assert vocabulary.suggestions(text, document_key=key, **given) == expected
    return expected


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_automaton_suggests_what_the_alternation_did(shared_data, seed):
    documents = texts(shared_data)
    uses = generated_vocabulary(documents, 5000, seed)
    assert len(uses) == 5000
    vocabulary = Vocabulary(uses, project_id=f"test-{seed}")
    rng = random.Random(seed)
    for number, text in enumerate(documents):
        plain = {"own": [], "dismissed": set(), "retired": frozenset()}
        found = compare(vocabulary, uses, text, number, subtract_own=True, **plain)
        assert len(found) > 20, "the vocabulary is found in the text"
        own = own_spans(found, rng)
        dismissed = {(s.start, s.end, s.label_id) for s in rng.sample(found, 10)}
        for retired in (frozenset(), frozenset({rng.choice(LABELS)})):
            for subtract_own in (True, False):  # a blind project subtracts nothing
                compare(
                    vocabulary, uses, text, number, own=own, dismissed=dismissed,
                    retired=retired, subtract_own=subtract_own,
                )  # fmt: skip


def test_labelling_a_string_hides_it_and_a_shorter_one_shows_through():
    """The cases the reference handles by building another pattern: the annotator's
    only use of a string no longer counts, so the shorter string inside it is found
    there instead, and a string's label follows what the others used most."""
    text = "Sergey Lavrov met Lavrov. Sergey Lavrov left Moscow."
    uses = {
        ("Sergey Lavrov", 1): 1,
        ("Lavrov", 1): 3,
        ("Moscow", 2): 2,
        ("Moscow", 3): 2,
    }
    vocabulary = Vocabulary(uses, project_id="test-nested")
    own = [("Sergey Lavrov", 1, 0, 13), ("Moscow", 2, 45, 51)]
    given = {"dismissed": set(), "retired": frozenset(), "subtract_own": True}
    found = compare(vocabulary, uses, text, "nested", own=own, **given)
    assert [(item.text, item.start, item.label_id) for item in found] == [
        ("Lavrov", 7, 1),
        ("Lavrov", 18, 1),
        ("Lavrov", 33, 1),
    ]
    found = compare(vocabulary, uses, text, "nested", own=[], **given)
    assert [item.text for item in found] == [
        "Sergey Lavrov", "Lavrov", "Sergey Lavrov", "Moscow",
    ]  # fmt: skip
    retired = {**given, "retired": frozenset({2})}
    assert (
        compare(vocabulary, uses, text, "nested", own=[], **retired)[-1].label_id == 3
    )


def test_the_automaton_is_built_once_per_vocabulary(monkeypatch):
    """Labelling, dismissing and re-reading the same vocabulary (as every minute)
    reuse the automaton; a new string builds it again."""
    built = []
    real = matcher_module.Matcher.__init__

    def counting(self, terms):
        built.append(len(terms))
        real(self, terms)

    monkeypatch.setattr(matcher_module.Matcher, "__init__", counting)
    uses = {("Bamako", 1): 2, ("Assimi Goita", 2): 1}
    text = "Assimi Goita flew to Bamako."
    first = Vocabulary(uses, project_id="test-once")
    for own in ([], [("Bamako", 1, 21, 27)], [("Assimi Goita", 2, 0, 12)]):
        first.suggestions(
            text, document_key=1, own=own, dismissed={(21, 27, 1)},
            retired=frozenset(), subtract_own=True,
        )  # fmt: skip
    again = Vocabulary({("Bamako", 1): 3}, project_id="test-once")
    assert again.matcher is first.matcher
    assert built == [2]
    grown = Vocabulary({**uses, ("Conakry", 1): 1}, project_id="test-once")
    assert grown.matcher is not first.matcher
    assert built == [2, 3]


@pytest.mark.parametrize("seed", [4, 5])
def test_a_part_of_a_long_text_gets_the_suggestions_the_whole_text_has_there(
    shared_data, seed
):
    """A paged text's part (`within`) gets exactly the suggestions of the whole text
    that overlap it, those crossing its edges included, with the annotator's spans
    and dismissals anywhere in the text."""
    documents = texts(shared_data)
    text = "\n\n".join(documents)
    uses = generated_vocabulary(documents, 2000, seed)
    vocabulary = Vocabulary(uses, project_id=f"test-part-{seed}")
    rng = random.Random(seed)
    given = {"dismissed": set(), "retired": frozenset(), "subtract_own": True}
    whole = vocabulary.suggestions(text, document_key="part", own=[], **given)
    given["own"] = own_spans(whole, rng)
    given["dismissed"] = {(s.start, s.end, s.label_id) for s in rng.sample(whole, 10)}
    whole = vocabulary.suggestions(text, document_key="part", **given)
    # Edges inside suggestions, so that some cross them.
    edges = sorted(rng.choice(whole).start + 1 for _ in range(6))
    bounds = [0, *edges, len(text)]
    for low, high in zip(bounds, bounds[1:], strict=False):
        overlapping = [s for s in whole if s.start < high and s.end > low]
        part = vocabulary.suggestions(
            text, document_key="part", within=(low, high), **given
        )
        assert part == overlapping
        assert any(s.start < low < s.end for s in part) or low == 0
