from __future__ import annotations

from dataclasses import dataclass

from annotate.labelling.citations import cited_sources
from annotate.labelling.rendering import segments


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


@dataclass
class FakeLabel:
    name: str


@dataclass
class FakeRow:
    pk: int
    start: int
    end: int
    text: str
    label_id: int
    label: FakeLabel
    entity_id: int | None = None
    entity_name: str | None = None
    origin: str = "manual"
    relabel_url: str = "/r/"
    link_url: str = "/l/"
    delete_url: str = "/d/"


def many_spans(count: int) -> tuple[str, list[FakeRow]]:
    words = [f"Word{n}" for n in range(count)]
    text = " ".join(words)
    spans, at = [], 0
    for n, word in enumerate(words):
        # Every third span encloses the next word too: nesting and crossing.
        end = (
            at
            + len(word)
            + (len(words[n + 1]) + 1 if n % 3 == 0 and n + 1 < count else 0)
        )
        spans.append(FakeRow(n + 1, at, end, text[at:end], 7, FakeLabel("ORG")))
        at += len(word) + 1
    return text, spans


def test_it_draws_500_nesting_and_crossing_spans_as_balanced_marks():
    # How fast is measured by bench/views.py, not here.
    from annotate.labelling.rendering import marked_text, span_rows

    text, spans = many_spans(500)
    html = marked_text(text, spans)
    rows = span_rows(spans, editable=True)
    assert html.count("<mark") == html.count("</mark>")
    assert rows.count('class="span-row"') == 500


def test_it_escapes_hostile_text_in_marks_and_rows():
    from annotate.labelling.rendering import marked_text, span_rows

    text = '<script>alert(1)</script> "quoted"'
    span = FakeRow(1, 0, 8, text[:8], 7, FakeLabel("<b>ORG</b>"))
    html = marked_text(text, [span]) + span_rows([span], editable=True)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_it_shows_a_mention_with_the_words_around_it():
    from annotate.labelling.screen import mention_in_context

    text = (
        "On Monday the minister arrived. " * 3
        + "Sonko said ports matter a great deal to the people of the region and beyond."
    )
    start = text.index("Sonko")
    shown = mention_in_context(text, start, start + 5)
    assert shown["evidence"] == "Sonko"
    assert shown["before"].startswith("…") and shown["after"].endswith("…")
    assert text[start - 10 : start].strip() in shown["before"]
