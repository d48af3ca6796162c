from __future__ import annotations

from dataclasses import dataclass

from annotate.citations import cited_sources
from annotate.rendering import segments


@dataclass
class FakeSpan:
    start: int
    end: int


def test_it_cuts_overlapping_spans_into_segments_with_their_covering_spans():
    outer, inner, crossing = FakeSpan(0, 10), FakeSpan(2, 5), FakeSpan(8, 14)
    pieces = segments("abcdefghijklmnop", [crossing, inner, outer])
    assert [(p.start, p.end) for p in pieces] == [
        (0, 2),
        (2, 5),
        (5, 8),
        (8, 10),
        (10, 14),
        (14, 16),
    ]
    assert [p.spans for p in pieces] == [
        (outer,),
        (outer, inner),
        (outer,),
        (outer, crossing),
        (crossing,),
        (),
    ]
    assert "".join(p.text for p in pieces) == "abcdefghijklmnop"


def test_it_finds_credited_and_quoted_sources():
    text = "Politico reported on Tuesday that Lavrov left. Kurakov told Sputnik that ports matter, according to AFP."
    assert [c.name for c in cited_sources(text)] == ["Politico", "Sputnik", "AFP"]
    first = cited_sources(text)[0]
    assert text[first.start : first.end] == "Politico"
