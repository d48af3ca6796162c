"""The article text cut into segments at every span boundary, so overlapping and
nested spans draw as nested marks, each underlined at a depth of its own and tagged
with its label's name. Linear in the spans after one sort."""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape  # not Django's: its lazy-string wrapper costs per call
from typing import Protocol

from django.utils.safestring import mark_safe


class SpanLike(Protocol):
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    text: str
    spans: tuple  # the spans covering it, outermost first


def segments(
    text: str, spans: Sequence[SpanLike], cuts: Sequence[int] = ()
) -> list[Segment]:
    """Cut `text` at each span start and end, and at `cuts`; each piece lists the spans
    over it. With `cuts`, only text[cuts[0]:cuts[-1]] is cut (`spans` overlap it)."""
    ordered = sorted(spans, key=lambda span: (span.start, -span.end))
    low, high = (cuts[0], cuts[-1]) if cuts else (0, len(text))
    edges = {low, high, *cuts}
    edges.update(s.start for s in ordered if low < s.start < high)
    edges.update(s.end for s in ordered if low < s.end < high)
    cuts = sorted(edges)
    pieces: list[Segment] = []
    active: list = []
    next_span = 0
    for start, end in zip(cuts, cuts[1:], strict=False):
        while next_span < len(ordered) and ordered[next_span].start <= start:
            active.append(ordered[next_span])
            next_span += 1
        active = [span for span in active if span.end > start]
        pieces.append(Segment(start, end, text[start:end], tuple(active)))
    return pieces


# Underlines stack below the text, one line per depth; spans deeper than this share
# the last line (the CSS has a rule per depth up to it).
MAX_DEPTH = 5


def depths(spans: Sequence[SpanLike]) -> dict[int, int]:
    """Each span's underline depth (by id()): the lowest line no overlapping span
    uses, so nested and crossing spans never share a line and apart ones share 0.
    Interval partitioning: one sort, then a heap of lines in use and one of free lines."""
    ordered = sorted(spans, key=lambda span: (span.start, -span.end))
    in_use: list[tuple[int, int]] = []  # (end, depth)
    free: list[int] = []
    depth_of: dict[int, int] = {}
    for span in ordered:
        while in_use and in_use[0][0] <= span.start:
            heapq.heappush(free, heapq.heappop(in_use)[1])
        depth = heapq.heappop(free) if free else len(in_use)
        heapq.heappush(in_use, (span.end, depth))
        depth_of[id(span)] = depth
    return depth_of


def stacked_marks(
    text: str,
    items: Sequence[SpanLike],
    opening: Callable[[object, int], tuple[str, str]],
) -> str:
    """The text as HTML, escaped, each item a <mark> nested where items nest.
    `opening(item, depth)` gives the item's opening tag and the label tag shown once,
    at the item's start (so a span cut into several segments is named once)."""
    (html,) = stacked_pieces(text, items, opening, [0, len(text)])
    return html


def stacked_pieces(
    text: str,
    items: Sequence[SpanLike],
    opening: Callable[[object, int], tuple[str, str]],
    bounds: Sequence[int],
    depth_of: dict[int, int] | None = None,
) -> list[str]:
    """stacked_marks for text[bounds[0]:bounds[-1]] only, as one HTML string per
    piece between consecutive `bounds`: marks crossing a bound are closed before it
    and reopened after, so each piece is whole HTML (a block swapped on its own).
    `depth_of` (depths() of a wider stretch) draws a piece as it is drawn in that
    stretch."""
    low, high = bounds[0], bounds[-1]
    items = [item for item in items if item.start < high and item.end > low]
    if depth_of is None:
        depth_of = depths(items)
    # A span cut into several segments reopens its mark in each: build each tag once.
    tags = {id(item): opening(item, depth_of[id(item)]) for item in items}
    pieces: list[str] = []
    parts: list[str] = []
    ends = iter(bounds[1:])
    piece_end = next(ends, high)
    for segment in segments(text, items, bounds):
        while segment.start >= piece_end:
            pieces.append(mark_safe("".join(parts)))
            parts, piece_end = [], next(ends, high)
        opened = []
        for item in segment.spans:
            tag, label = tags[id(item)]
            opened.append(tag + label if item.start == segment.start else tag)
        parts.append(
            f"{''.join(opened)}{escape(segment.text)}{'</mark>' * len(segment.spans)}"
        )
    pieces.append(mark_safe("".join(parts)))  # every piece of text above was escaped
    pieces.extend(mark_safe("") for _ in ends)  # empty pieces at the end (none in use)
    return pieces


def label_tag(name: str, *, suggested: bool = False) -> str:
    """The label's name drawn at a span's start. Not part of the text: annotate.js
    leaves `.tag` out when it turns a selection into offsets (and CSS out of a copy)."""
    if (
        suggested
    ):  # told apart by its dashed look (a "?" would let a line break after it)
        return f'<span class="tag suggested">{escape(name)}</span>'
    return f'<span class="tag">{escape(name)}</span>'


def marked_text(
    text: str,
    spans: Sequence,
    suggestions: Sequence = (),
    *,
    names: dict[int, str] | None = None,
) -> str:
    """The text as HTML with each span a <mark> (nested where spans nest), underlined
    at its own depth and tagged with its label's name, escaped; suggestions are marks
    of their own class (dashed), named from `names` (label id to name).

    Built here rather than in a template loop: a page can hold thousands of segments,
    and this keeps the screen's render time linear and small."""
    (html,) = marked_pieces(text, [0, len(text)], spans, suggestions, names=names)
    return html


def marked_pieces(
    text: str,
    bounds: Sequence[int],
    spans: Sequence,
    suggestions: Sequence = (),
    *,
    names: dict[int, str] | None = None,
    depth_of: dict[int, int] | None = None,
) -> list[str]:
    """marked_text of text[bounds[0]:bounds[-1]], one HTML string per piece between
    consecutive `bounds` (the screen's blocks); `depth_of` as in stacked_pieces."""
    names = names or {}

    def opening(item, depth: int) -> tuple[str, str]:
        if hasattr(item, "pk"):
            return (
                f'<mark class="span l-{item.label_id} d{min(depth, MAX_DEPTH)}"'
                f' data-span="{item.pk}" title="{escape(item.label.name)}">',
                label_tag(item.label.name),
            )
        name = names.get(item.label_id, "")
        source = ""
        if (model := getattr(item, "source", None)) is not None:  # a prediction
            name = f"{name} {item.score:.2f}"
            source = f' predicted" title="{escape(f"{model}: {name}")}'
        return (
            f'<mark class="suggestion l-{item.label_id} d{min(depth, MAX_DEPTH)}{source}"'
            f' data-suggestion="{item.key}">',
            label_tag(name, suggested=True) if name else "",
        )

    return stacked_pieces(text, [*spans, *suggestions], opening, bounds, depth_of)


# How much of the text to show either side of a span or a mention.
CONTEXT_CHARS = 50
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def in_context(
    text: str, start: int | None, end: int | None, chars: int = CONTEXT_CHARS
) -> dict:
    """The words around text[start:end] within its paragraph, cut at whole words
    ("…arrived in ", "Bamako", " on Monday…"), so a reader sees which occurrence it
    is. Whitespace is left as it is: HTML shows it on one line."""
    if start is None or end is None:
        return {"before": "", "evidence": "", "after": ""}
    before = text[max(0, start - chars) : start]
    after = text[end : end + chars]
    # Within the paragraph: the words of the next one say nothing of this one. (The
    # `in` tests first: this runs for every row of a 500-span list.)
    if "\n" in before and (breaks := list(PARAGRAPH_BREAK.finditer(before))):
        before = before[breaks[-1].end() :]
    elif start > chars and " " in before:
        before = "…" + before[before.index(" ") + 1 :]
    if "\n" in after and (cut := PARAGRAPH_BREAK.search(after)):
        after = after[: cut.start()]
    elif end + chars < len(text) and " " in after:
        after = after[: after.rindex(" ")] + "…"
    return {"before": before, "evidence": text[start:end], "after": after}


def shortened(text: str, limit: int = 120) -> str:
    """`text` on one line, its middle cut out when longer than `limit`."""
    if len(text) <= limit and "\n" not in text:
        return text
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half].rstrip()} … {text[-half:].lstrip()}"


class Positions:
    """Where an offset is, for people: the paragraph (blocks apart by a blank line),
    found by bisection in the paragraph starts computed once per text."""

    def __init__(self, text: str) -> None:
        self.starts = [match.end() for match in PARAGRAPH_BREAK.finditer(text)]

    def paragraph(self, offset: int) -> int:
        return bisect_right(self.starts, offset) + 1


def where(positions: Positions, start: int, end: int) -> str:
    """ "para 3 · chars 120–126": which paragraph, and the code point offsets."""
    return f"para {positions.paragraph(start)} · chars {start}–{end}"


def span_rows(spans: Sequence, *, editable: bool, text: str = "") -> str:
    """The span list's rows as HTML, escaped. Built here, like marked_text, because a
    template loop over 500 rows costs more than the rest of the page together.
    With the document's `text`, each row also shows where the span is and the words
    around it, so two rows of the same string and label can be told apart.

    A row carries its action URLs; annotate.js sends the requests (keys and the row's
    buttons alike), so the rows need no htmx wiring after a swap."""
    return mark_safe("".join(span_row_list(spans, editable=editable, text=text)))


def span_row_list(spans: Sequence, *, editable: bool, text: str = "") -> list[str]:
    """span_rows, one HTML string per row (`id` span-row-<pk>, swapped on its own)."""
    positions = Positions(text) if text else None
    # Escaping is most of the cost: each label's name once, and text in elements
    # without quotes (quote=False: two replacements fewer).
    label_names: dict[int, str] = {}
    rows = []
    for span in spans:
        entity = f" → {escape(span.entity_name)}" if span.entity_id else ""
        if (label := label_names.get(span.label_id)) is None:
            label = label_names[span.label_id] = escape(span.label.name, quote=False)
        quoted = escape(span.text)
        buttons = (
            f'<button type="button" class="link-button" title="Link to an entity (Enter)" aria-label="Link {quoted} to an entity">link</button>'
            f'<button type="button" class="delete" title="Delete (Delete key)" aria-label="Delete {quoted}">×</button>'
            if editable
            else ""
        )
        # A screen reader names the focused row by what it is; keys act on it (annotate.js).
        name = f"{quoted}, {escape(span.label.name)}" + (
            f", linked to {escape(span.entity_name)}" if span.entity_id else ""
        )
        origin = (
            f'<span class="origin">{escape(span.origin)}</span>'
            if span.origin != "manual"
            else ""
        )
        chip = escape(span.text, quote=False)
        context = _context_line(text, positions, span, chip) if positions else ""
        rows.append(
            f'<li class="span-row" id="span-row-{span.pk}" data-span="{span.pk}" data-label="{span.label_id}" tabindex="0" aria-label="{name}"'
            f' data-relabel="{span.relabel_url}" data-link="{span.link_url}" data-delete="{span.delete_url}">'
            f'<mark class="chip l-{span.label_id}">{chip}</mark>'
            f'<span class="label-name">{label}{entity}</span>'
            f"{buttons}{origin}{context}</li>"
        )
    return rows  # every piece of text above was escaped


ROW_CONTEXT_CHARS = 30


def _context_line(text: str, positions: Positions, span, chip: str) -> str:
    """The words around a span ("…flew to <b>Bamako</b> on Monday…") and where it is;
    `chip` is the span's text, escaped already."""
    around = in_context(text, span.start, span.end, ROW_CONTEXT_CHARS)
    shown = shortened(span.text, 60)
    if shown != span.text:
        chip = escape(shown, quote=False)
    return (
        f'<span class="context">{escape(around["before"], quote=False)}<b>{chip}</b>'
        f"{escape(around['after'], quote=False)}"
        f'<span class="where">{where(positions, span.start, span.end)}</span></span>'
    )


def suggestion_rows(
    rows: Sequence[tuple], *, accept_url: str, dismiss_url: str, csrf_token: str
) -> str:
    """The listed suggestions as HTML, escaped: `rows` are (suggestion, its label as
    shown). Built here, like span_rows, because each change that alters the list
    redraws it, and a template loop with a form's CSRF token per button costs more
    than the change. The forms work without JavaScript; htmx posts them."""
    token = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    )
    html = []
    for suggestion, label_name in rows:
        text, name = escape(suggestion.text), escape(label_name)
        place = (
            f'<input type="hidden" name="start" value="{suggestion.start}">'
            f'<input type="hidden" name="end" value="{suggestion.end}">'
            f'<input type="hidden" name="label" value="{suggestion.label_id}">'
        )
        forms = [
            f'<form method="post" action="{url}" hx-post="{url}" hx-target="#doc-text" '
            f'hx-swap="outerHTML">{token}{place}<button type="submit" class="{kind}" '
            f'title="{title}" aria-label="{verb} {text} as {name}">{sign}</button></form>'
            for url, kind, title, verb, sign in (
                (accept_url, "suggestion-accept", "Accept (y)", "Accept", "✓"),
                (dismiss_url, "suggestion-dismiss", "Dismiss (x)", "Dismiss", "✗"),
            )
        ]
        html.append(
            f'<li class="suggestion-row" aria-label="Suggested: {text}, {name}">'
            f'<mark class="chip suggested l-{suggestion.label_id}">{text}</mark>'
            f'<span class="label-name">{name}</span>{"".join(forms)}</li>'
        )
    return mark_safe("".join(html))  # every piece of text above was escaped
