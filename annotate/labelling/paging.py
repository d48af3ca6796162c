"""The article text in blocks and parts. A block is a paragraph (or a piece of a very
long one): the unit a change redraws, swapped in by its id, so a span saved answers
with the few blocks whose marks changed. A part is a run of whole blocks that the
screen draws at once: a long document is paged into parts of about PART_CHARS, so it
opens fast; a short one is a single part.

Blocks are cut at paragraph breaks and, within a paragraph longer than BLOCK_CHARS,
at the first whitespace after it, so the same text always gives the same blocks (and
block numbers stay valid across requests)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from annotate.labelling.rendering import PARAGRAPH_BREAK

# A paragraph longer than this is drawn (and redrawn) in pieces.
BLOCK_CHARS = 2_000
SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class Block:
    number: int  # from 0, in the whole document
    start: int
    end: int

    @property
    def dom_id(self) -> str:
        return f"b-{self.number}"


@dataclass(frozen=True, slots=True)
class Part:
    """The blocks drawn at once: part `number` (from 1) of `count`."""

    number: int
    count: int
    blocks: list[Block]

    @property
    def start(self) -> int:
        return self.blocks[0].start if self.blocks else 0

    @property
    def end(self) -> int:
        return self.blocks[-1].end if self.blocks else 0

    @property
    def paged(self) -> bool:
        return self.count > 1

    def holds(self, start: int, end: int) -> bool:
        """Whether text[start:end] is drawn in this part (wholly or in part)."""
        return start < self.end and end > self.start if self.paged else True


def blocks_of(text: str) -> list[Block]:
    """The text cut after each paragraph break, and long paragraphs after the first
    whitespace past BLOCK_CHARS; the blocks cover the text, in order, without gaps."""
    cuts = [match.end() for match in PARAGRAPH_BREAK.finditer(text)]
    blocks: list[Block] = []
    start = 0
    for end in [*cuts, len(text)]:
        while end - start > BLOCK_CHARS:
            space = SPACE.search(text, start + BLOCK_CHARS, end)
            if space is None:
                break
            blocks.append(Block(len(blocks), start, space.end()))
            start = space.end()
        if end > start:
            blocks.append(Block(len(blocks), start, end))
            start = end
    return blocks


def parts_of(blocks: list[Block], text_chars: int) -> list[list[Block]]:
    """Whole blocks in runs of about settings.PART_CHARS, once the text is longer than
    settings.LARGE_DOCUMENT_CHARS; otherwise one run of them all."""
    if text_chars <= settings.LARGE_DOCUMENT_CHARS:
        return [blocks]
    parts: list[list[Block]] = [[]]
    for block in blocks:
        current = parts[-1]
        if current and block.end - current[0].start > settings.PART_CHARS:
            parts.append(current := [])
        current.append(block)
    return parts


def part_of(text: str, number: int | None) -> Part:
    """Part `number` of the text (the first when None; the last when past the end)."""
    parts = parts_of(blocks_of(text), len(text))
    number = min(max(number or 1, 1), len(parts))
    return Part(number, len(parts), parts[number - 1])
