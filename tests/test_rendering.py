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
    from annotate.labelling.rendering import in_context

    text = (
        "On Monday the minister arrived. " * 3
        + "Sonko said ports matter a great deal to the people of the region and beyond."
    )
    start = text.index("Sonko")
    shown = in_context(text, start, start + 5)
    assert shown["evidence"] == "Sonko"
    assert shown["before"].startswith("…") and shown["after"].endswith("…")
    assert text[start - 10 : start].strip() in shown["before"]


def test_it_gives_nested_and_crossing_spans_lines_of_their_own():
    from annotate.labelling.rendering import depths

    outer, inner, innermost = FakeSpan(0, 20), FakeSpan(2, 10), FakeSpan(4, 6)
    crossing, apart, after = FakeSpan(8, 25), FakeSpan(30, 35), FakeSpan(36, 40)
    depth = depths([apart, crossing, innermost, inner, outer, after])
    assert [depth[id(s)] for s in (outer, inner, innermost)] == [0, 1, 2]
    # Crossing the two: a line neither uses, whichever is free first.
    assert depth[id(crossing)] not in (depth[id(outer)], depth[id(inner)])
    # Spans apart from all others share the first line.
    assert depth[id(apart)] == depth[id(after)] == 0


def test_it_names_each_span_once_at_its_start_at_its_depth():
    from annotate.labelling.rendering import marked_text

    text = "Sergey Lavrov met Assimi Goita in Bamako"
    event = FakeRow(1, 0, 30, text[0:30], 5, FakeLabel("EVENT"))
    person = FakeRow(2, 7, 13, text[7:13], 7, FakeLabel("PERSON"))
    html = marked_text(text, [person, event])
    assert html.startswith(
        '<mark class="span l-5 d0" data-span="1" title="EVENT"><span class="tag">EVENT</span>Sergey '
    )
    assert (
        '<mark class="span l-5 d0" data-span="1" title="EVENT">'
        '<mark class="span l-7 d1" data-span="2" title="PERSON"><span class="tag">PERSON</span>Lavrov</mark></mark>'
    ) in html
    # The event is cut in three segments around the person, and named once.
    assert html.count('data-span="1"') == 3
    assert html.count(">EVENT</span>") == 1


def test_it_names_suggestions_apart_from_spans():
    from annotate.labelling.rendering import marked_text

    @dataclass
    class FakeSuggestion:
        start: int
        end: int
        label_id: int
        key: str

    text = "Bamako and Niamey"
    span = FakeRow(1, 0, 6, "Bamako", 7, FakeLabel("GPE"))
    suggestion = FakeSuggestion(11, 17, 7, "11-17-7")
    html = marked_text(text, [span], [suggestion], names={7: "GPE"})
    assert (
        '<mark class="suggestion l-7 d0" data-suggestion="11-17-7">'
        '<span class="tag suggested">GPE</span>Niamey</mark>'
    ) in html


def test_it_escapes_label_names_in_tags():
    from annotate.labelling.rendering import marked_text

    span = FakeRow(1, 0, 6, "Bamako", 7, FakeLabel('<img src=x onerror="1">'))
    html = marked_text("Bamako", [span])
    assert "<img" not in html
    assert '<span class="tag">&lt;img src=x onerror=&quot;1&quot;&gt;</span>' in html


def test_it_tells_two_rows_of_one_string_apart_by_place_and_words_around():
    from annotate.labelling.rendering import span_rows

    text = "Lavrov flew to Bamako.\n\nTwo days later, protests in Bamako grew."
    first, second = text.index("Bamako"), text.rindex("Bamako")
    rows = span_rows(
        [
            FakeRow(1, first, first + 6, "Bamako", 3, FakeLabel("GPE")),
            FakeRow(2, second, second + 6, "Bamako", 3, FakeLabel("GPE")),
        ],
        editable=True,
        text=text,
    )
    assert (
        'Lavrov flew to <b>Bamako</b>.<span class="where">para 1 · chars 15–21' in rows
    )
    assert (
        f'protests in <b>Bamako</b> grew.<span class="where">para 2 · chars {second}–{second + 6}'
        in rows
    )


def test_it_shortens_long_evidence_in_the_middle():
    from annotate.labelling.rendering import shortened

    sentence = "word " * 60
    short = shortened(sentence, 40)
    assert len(short) <= 43 and " … " in short
    assert shortened("  two\n words ") == "two words"
