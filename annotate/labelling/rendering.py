"""The article text cut into segments at every span boundary, so overlapping and
nested spans draw as nested marks. Linear in the spans after one sort."""

from __future__ import annotations

from collections.abc import Sequence
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


def segments(text: str, spans: Sequence[SpanLike]) -> list[Segment]:
    """Cut `text` at each span start and end; each piece lists the spans over it."""
    ordered = sorted(spans, key=lambda span: (span.start, -span.end))
    cuts = sorted(
        {0, len(text), *(s.start for s in ordered), *(s.end for s in ordered)}
    )
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


def marked_text(text: str, spans: Sequence, suggestions: Sequence = ()) -> str:
    """The text as HTML with each span a <mark> (nested where spans nest), escaped;
    suggestions are marks of their own class, drawn apart from the spans.

    Built here rather than in a template loop: a page can hold thousands of segments,
    and this keeps the screen's render time linear and small."""
    items = [*spans, *suggestions]
    # A span cut into several segments reopens its mark in each: build each tag once.
    tag_of = {id(item): _opening_tag(item) for item in items}
    parts: list[str] = []
    for segment in segments(text, items):
        opening = "".join([tag_of[id(item)] for item in segment.spans])
        parts.append(f"{opening}{escape(segment.text)}{'</mark>' * len(segment.spans)}")
    return mark_safe("".join(parts))  # every piece of text above was escaped


def _opening_tag(item) -> str:
    if hasattr(item, "pk"):
        return f'<mark class="span l-{item.label_id}" data-span="{item.pk}" title="{escape(item.label.name)}">'
    return f'<mark class="suggestion l-{item.label_id}" data-suggestion="{item.key}">'


def span_rows(spans: Sequence, *, editable: bool) -> str:
    """The span list's rows as HTML, escaped. Built here, like marked_text, because a
    template loop over 500 rows costs more than the rest of the page together.

    A row carries its action URLs; annotate.js sends the requests (keys and the row's
    buttons alike), so the rows need no htmx wiring after a swap."""
    rows = []
    for span in spans:
        entity = f" → {escape(span.entity_name)}" if span.entity_id else ""
        text, label = escape(span.text), escape(span.label.name)
        buttons = (
            f'<button type="button" class="link-button" title="Link to an entity (Enter)" aria-label="Link {text} to an entity">link</button>'
            f'<button type="button" class="delete" title="Delete (Delete key)" aria-label="Delete {text}">×</button>'
            if editable
            else ""
        )
        # A screen reader names the focused row by what it is; keys act on it (annotate.js).
        name = f"{text}, {label}" + (
            f", linked to {escape(span.entity_name)}" if span.entity_id else ""
        )
        origin = (
            f'<span class="origin">{escape(span.origin)}</span>'
            if span.origin != "manual"
            else ""
        )
        rows.append(
            f'<li class="span-row" data-span="{span.pk}" data-label="{span.label_id}" tabindex="0" aria-label="{name}"'
            f' data-relabel="{span.relabel_url}" data-link="{span.link_url}" data-delete="{span.delete_url}">'
            f'<mark class="chip l-{span.label_id}">{text}</mark>'
            f'<span class="label-name">{label}{entity}</span>'
            f"{buttons}{origin}</li>"
        )
    return mark_safe("".join(rows))  # every piece of text above was escaped
