"""A page laid out in table columns, as w3m prints it: the columns side by side, each
row of the dump holding a line of the menu, a line of the article and a line of the
sidebar. Such bands are cut at their whitespace gutters and printed again column by
column, each column's wrapped lines joined back into paragraphs, so the blocks that
follow read the article as one run of prose. A band ends where a gutter it is cut at
closes for good; a line that only nicks one (a bullet, a word filling its cell to the
edge) is cut with the rest."""

from __future__ import annotations

import re
import unicodedata

from annotate.ingest.pagedump.blocks import (
    BULLET,
    PROSE_LINE_WORDS,
    SENTENCE_CLOSE,
    is_prose_line,
    join_wrapped,
    overflows,
)

# A gutter is at least this many columns of space, in every line of the band.
MIN_GUTTER = 2
# ...with text on both sides of it in at least this many lines.
MIN_GUTTER_SUPPORT = 3
# A band is printed column by column only when a column holds prose: this many runs
# of words set one space apart, as many as a line of prose holds, one ending a sentence
# (a table of figures, a link grid or a tag cloud keeps its rows).
MIN_PROSE_PIECES = 3
# A band that cannot be unfolded is tried again from each of this many lines further
# down, when it is at most this long (a long table of figures is not tried again from
# each of its rows).
MAX_BAND_RETRIES = 40
MAX_RETRIED_BAND = 400
# Tables within tables are cut again, this deep.
MAX_DEPTH = 3
# A line may reach this many columns into a gutter that the next lines of text (found
# within this many lines) keep open.
MAX_NICK = 2
LOOK_BELOW = 10
# Text this narrow between two gutters is a sliver of one column, not a column.
SLIVER = 3
# A character that fills two columns on the screen keeps a placeholder in the second.
WIDE_FILLER = "\0"
MAYBE_WIDE = re.compile("[\u1100-\uffff]")
NON_SPACE = re.compile("[^ ]")
GAP = re.compile(f"0{{{MIN_GUTTER},}}")
# The number or bullet of a list item, set apart from the item.
LIST_MARKER = re.compile(r"\d{1,3}[.)]?|[•*+#o·▪■-]")
WIDE_SPACE = re.compile(" {2,}")
# w3m draws a text field as brackets around spaces: the field is not a gutter.
TEXT_FIELD = re.compile(r"\[ +\]")
# w3m prints an image without a description as its name in brackets.
IMAGE_MARK = re.compile(r"\[[\w.-]+\]")


def unfold_columns(lines: list[str], depth: int = 0) -> list[str]:
    """The lines, with every band of side-by-side columns printed column by column."""
    grid = [display_columns(line) for line in lines]
    masks = [occupied(line) for line in grid]
    out: list[str] = []
    start = retries = reach = 0
    while start < len(grid):
        if not masks[start]:
            out.append(lines[start])
            start += 1
            continue
        end, cuts = widest_band(grid, masks, start)
        if cuts and holds_prose(grid[start:end], cuts):
            for column in cut_band(grid[start:end], cuts):
                # Its prose wraps at its width; rules and headings may be longer. A
                # column without prose is as wide as its longest line.
                prose = [len(line) for line in column if is_prose_line(line)]
                width = max(prose or [len(line) for line in column])
                if depth < MAX_DEPTH:
                    column = unfold_columns(column, depth + 1)
                out.extend(
                    line.replace(WIDE_FILLER, "")
                    for line in joined_paragraphs(column, width)
                )
                out.append("")
            start, retries, reach = end, 0, 0
        elif retries < MAX_BAND_RETRIES and end - start <= MAX_RETRIED_BAND:
            # A band may start on a line or two that cross its columns' gutter (a
            # header across the page): the band from the next line is tried.
            out.append(lines[start])
            start, retries, reach = start + 1, retries + 1, max(reach, end)
        else:
            # Past those, the lines the failed bands covered are left as they are.
            reach = max(reach, end)
            out.extend(lines[start:reach])
            start, retries, reach = reach, 0, 0
    return out


def display_columns(line: str) -> str:
    """The line as the screen showed it: tabs expanded, wide characters two columns."""
    line = line.expandtabs().rstrip()
    # A column cut from a band is in screen columns already (tables within tables).
    if WIDE_FILLER in line or not MAYBE_WIDE.search(line):
        return line
    return "".join(
        char + WIDE_FILLER if unicodedata.east_asian_width(char) in "WF" else char
        for char in line
    )


def occupied(line: str) -> int:
    """A bit for every column of the line that holds a character."""
    line = TEXT_FIELD.sub(lambda field: "1" * len(field.group()), line)
    return int(NON_SPACE.sub("1", line).replace(" ", "0")[::-1] or "0", 2)


def span_mask(first: int, last: int) -> int:
    return ((1 << (last - first + 1)) - 1) << first


def extent(mask: int) -> tuple[int, int]:
    """The first and last occupied column."""
    return (mask & -mask).bit_length() - 1, mask.bit_length() - 1


def has_gutter(union: int) -> bool:
    """Two empty columns side by side inside the band's extent."""
    return side_by_side(~union & span_mask(*extent(union)))


def side_by_side(empty: int) -> bool:
    """Two of the columns are next to each other: a gutter's width."""
    return bool(empty & (empty >> 1))


def gutters(union: int) -> list[tuple[int, int]]:
    """The runs of at least MIN_GUTTER empty columns inside the band's extent."""
    first, last = extent(union)
    columns = bin(union >> first)[2:][::-1]
    return [
        (first + gap.start(), first + gap.end() - 1) for gap in GAP.finditer(columns)
    ]


def widest_band(grid: list[str], masks: list[int], start: int) -> tuple[int, list[int]]:
    """The longest run of lines from `start` that keeps a gutter, and the columns where
    its well-supported gutters end (where its columns begin).

    A line that closes one of those gutters, where the lines below keep it open, is a
    bullet or a word set across it (a cell filled to its edge): the band goes on, and
    the line is cut with the rest. Where the lines below close it too, the band's
    columns end there."""
    union, end = masks[start], start + 1
    while end < len(grid):
        grown = union | masks[end]
        if grown != union and (closed := closed_gutters(union, grown)):
            cuts = band_cuts(grid, masks, start, end, union)
            if spans := [span for cut, span in closed.items() if cut in cuts]:
                if nicks(grid[end], masks[end], spans) and kept_open(
                    masks, end + 1, union, spans
                ):
                    for left, right in spans:
                        grown &= ~span_mask(left, right)
                elif holds_prose(grid[start:end], cuts):
                    return end, cuts
        if not has_gutter(grown):
            break
        union, end = grown, end + 1
    return end, band_cuts(grid, masks, start, end, union)


def closed_gutters(union: int, grown: int) -> dict[int, tuple[int, int]]:
    """The band's gutters that are gone once the next line is added, by where they
    end. A gutter with another just past a sliver of text (a bullet set apart in one
    line) is not gone while the other is open."""
    closed = {}
    for left, right in gutters(union):
        if not side_by_side(~grown & span_mask(left, right + SLIVER)):
            closed[right + 1] = (left, right)
    return closed


def nicks(line: str, mask: int, spans: list[tuple[int, int]]) -> bool:
    """The line reaches into each gutter by a bullet, a word's end or an image's marker,
    and leaves its last column empty (a line of prose across a table is not cut)."""
    return all(
        not mask >> right & 1
        and (
            (mask & span_mask(left, right)).bit_count() <= MAX_NICK
            or IMAGE_MARK.fullmatch(line[left : right + 1].strip()) is not None
        )
        for left, right in spans
    )


def kept_open(
    masks: list[int], below: int, union: int, spans: list[tuple[int, int]]
) -> bool:
    """The next few lines of text from `below` leave each of the gutters open."""
    following = [mask for mask in masks[below : below + LOOK_BELOW] if mask]
    if len(following) < MIN_GUTTER_SUPPORT:
        return False
    for mask in following[:MIN_GUTTER_SUPPORT]:
        union |= mask
    return all(side_by_side(~union & span_mask(*span)) for span in spans)


def band_cuts(
    grid: list[str], masks: list[int], start: int, end: int, union: int
) -> list[int]:
    """Where the band's well-supported gutters end: text on both sides of the gutter in
    enough lines, and not only a list's numbers or bullets on its left."""
    cuts = []
    for left, right in gutters(union):
        # Lines with text on both sides, found by their bits before their text is read.
        before = (1 << left) - 1
        across = [
            line
            for line, mask in zip(grid[start:end], masks[start:end], strict=True)
            if mask & before and mask >> (right + 1)
        ]
        if len(across) < MIN_GUTTER_SUPPORT:
            continue
        if sum(beside_gutter(line[:left]) for line in across) >= MIN_GUTTER_SUPPORT:
            cuts.append(right + 1)
    return cuts


def beside_gutter(left: str) -> bool:
    """The line has text left of a gutter, and not only the number or bullet of a
    list item (a numbered list is not two columns)."""
    pieces = WIDE_SPACE.split(left.strip())
    return bool(pieces[-1]) and not LIST_MARKER.fullmatch(pieces[-1])


def cut_band(band: list[str], cuts: list[int]) -> list[list[str]]:
    """Each column's lines, with the text outside it cut away; a column keeps its
    distance from the left edge, which tells the article's column from the others."""
    edges = [0, *cuts, None]
    return [
        [(" " * left + line[left:right]).rstrip() for line in band]
        for left, right in zip(edges, edges[1:], strict=False)
    ]


def holds_prose(band: list[str], cuts: list[int]) -> bool:
    """Some column has runs of prose, one of them ending a sentence: words set one
    space apart (a tag cloud, a row of links or of figures sets them further), and not
    only headlines, which end without a full stop."""
    for column in cut_band(band, cuts):
        prose = [
            run
            for piece in column
            for run in WIDE_SPACE.split(piece.strip())
            if len(run.split()) >= PROSE_LINE_WORDS
        ]
        if len(prose) >= MIN_PROSE_PIECES and any(
            SENTENCE_CLOSE.search(run) for run in prose
        ):
            return True
    return False


def joined_paragraphs(column: list[str], width: int) -> list[str]:
    """A column's lines, those it wrapped joined again (as blocks.read_blocks joins a
    page's): the same text column, and the next line's first word would not have fitted
    within the column's width, that of its longest line of prose."""
    paragraphs: list[list[str]] = []
    previous, text_column = "", -1
    for line in column:
        if not line.strip():
            previous, text_column = "", -1
            paragraphs.append([])
            continue
        indent = len(line) - len(line.lstrip())
        bullet = BULLET.match(line)
        wrapped = (
            previous
            and not bullet
            and indent == text_column
            and overflows(previous, line, width)
        )
        if wrapped and paragraphs and paragraphs[-1]:
            paragraphs[-1].append(line.strip())
        else:
            paragraphs.append([line])
        previous, text_column = line, (bullet.end() if bullet else indent)
    return [join_wrapped(pieces) for pieces in paragraphs]
