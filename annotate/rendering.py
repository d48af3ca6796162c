"""The article text cut into segments at every span boundary, so overlapping and
nested spans draw as nested marks. Linear in the spans after one sort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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
