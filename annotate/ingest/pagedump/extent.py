"""The article's extent: the maximum-sum run of block scores at one text indent, from
below a byline, widened over the lines that touch it; and the blocks of it that are
kept, up to the copyright notice that closes it."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable

from annotate.ingest.pagedump.blocks import BYLINE, DECORATION, Block
from annotate.ingest.pagedump.shapes import SENTENCE_END, URL, gap_cost

LABEL_PREFIX = re.compile(r"^[\w’'-]+(?:\s[\w’'-]+){0,2}\s?:\s+\S")
# Headings of inserts that interrupt a body: a hint on top of the structure, in a few
# languages; the article is found without them.
INSERT_HEADING = re.compile(
    r"^(?:related|read more|read next|read also|also read|see also|more on|most read"
    r"|advertisement|leia (?:também|mais)|veja também|mais lidas|publicidade"
    r"|lesen sie auch|mehr zum thema|weitere artikel|anzeige|lire aussi|à lire aussi"
    r"|publicité|lee también|publicidad|читайте также|по теме|реклама)\b",
    re.I,
)
# w3m prints an image's alt text or file stem in brackets, alone on its line.
ALT_TEXT_LINE = re.compile(r"^\[[^\]\s]{1,80}\]$")
SHORT_BLOCK_CHARS = 120
# A copyright notice, at least this long (a photo's "© AFP" is shorter).
COPYRIGHT_NOTICE = re.compile(r"(?:©|\(c\)|copyright\b)", re.I)
MIN_NOTICE_CHARS = 30
# A list the article ends on has at least this many items, each at most this long.
MIN_LIST_ITEMS = 3
MAX_LIST_ITEM_CHARS = 200
# An indent must carry this share of the page's prose to be tried as the article's.
INDENT_SHARE = 0.15
# The k-th block in a row of boilerplate costs (1 + GAP_GROWTH * (k - 1)) times its own.
GAP_GROWTH = 0.1


def densest_prose_run(blocks: list[Block]) -> tuple[int, int] | None:
    """The article's extent: the best maximum-sum run over the prose indents tried."""
    best: tuple[float, tuple[int, int] | None] = (0.0, None)
    for indent in prose_indents(blocks):
        found = densest_run_at(blocks, indent)
        if found[0] > best[0]:
            best = found
    return best[1]


def prose_by_indent(blocks: list[Block]) -> Counter[int]:
    """The characters of prose at each indent."""
    chars: Counter[int] = Counter()
    for block in blocks:
        if block.prose:
            chars[block.indent] += len(block.text)
    return chars


def prose_indents(blocks: list[Block]) -> list[int]:
    """Indents that carry a fair share of the page's prose: the article's is among them."""
    chars = prose_by_indent(blocks)
    total = chars.total()
    return [indent for indent, size in chars.items() if size >= INDENT_SHARE * total]


def densest_run_at(
    blocks: list[Block], indent: int
) -> tuple[float, tuple[int, int] | None]:
    """Kadane over block scores, where prose at another indent (teasers, sidebars)
    counts as boilerplate and each further block of a gap costs more than the last: an
    article survives a short insert better than a long break such as its comments."""
    best, best_range, running, run_start, gap = 0.0, None, 0.0, 0, 0
    for index, block in enumerate(blocks):
        if running <= 0 or is_byline(block):
            # An article begins below its byline: what is above it (a list of the
            # most read, a teaser) is not carried into it.
            running, run_start, gap = 0.0, index, 0
        if block.counted or (block.prose and block.indent == indent):
            running += block.score
            gap = 0
            if running > best:
                best, best_range = running, (run_start, index)
        elif block.prose:
            # A quote or a list item indented apart costs nothing: part of the article
            # when the article's prose comes back, and left out when it does not.
            gap += 1
        else:
            gap += 1
            running -= gap_cost(block) * (1 + GAP_GROWTH * (gap - 1))
    if best_range is None:
        return 0.0, None
    start, end = best_range
    while start < end and not (
        blocks[start].counted
        or (blocks[start].prose and blocks[start].indent == indent)
    ):
        start += 1
    return best, (start, end)


def is_byline(block: Block) -> bool:
    """A short line naming the author ("By Jane Reporter")."""
    return not block.prose and BYLINE.match(block.text) is not None


def extend_by_sentences(blocks: list[Block], start: int, end: int) -> tuple[int, int]:
    """Widen the article's run over the prose and the sentence-shaped lines right before
    and after it: a short last paragraph, a one-line lead, a lead set at another indent
    (a sentence at another indent is not taken: it is a caption or a teaser as often)."""
    indent = blocks[start].indent

    def belongs(block: Block) -> bool:
        return (
            (block.prose or (block.sentence and block.indent == indent))
            and not (block.caption or block.repeated or block.in_list)
            and not INSERT_HEADING.match(block.text)
            and not is_insert(block)
        )

    while end + 1 < len(blocks) and belongs(blocks[end + 1]):
        end += 1
    while start > 0 and belongs(blocks[start - 1]):
        start -= 1
    return start, end


def trailing_list(blocks: list[Block], end: int) -> list[int]:
    """A list the article ends on (tour dates, results, a programme): right after the
    body a heading or a line ending in ':', then at least three short items that share
    a separator mark with the first ("June 9 -- Arena, City")."""
    intro = end + 1
    if intro >= len(blocks) or not introduces_list(blocks[intro]):
        return []
    items: list[int] = []
    marks: set[str] = set()
    for index in range(intro + 1, len(blocks)):
        block = blocks[index]
        own = separator_marks(block.text)
        if (
            block.prose
            or block.repeated
            or len(block.text) > MAX_LIST_ITEM_CHARS
            or is_insert(block)
            or not (own & marks if items else own)
        ):
            break
        marks = marks & own if items else own
        items.append(index)
    return [intro, *items] if len(items) >= MIN_LIST_ITEMS else []


def introduces_list(block: Block) -> bool:
    return (
        not block.prose
        and not block.bullet
        and len(block.text) <= SHORT_BLOCK_CHARS
        and (block.text.endswith(":") or not SENTENCE_END.search(block.text))
        and not INSERT_HEADING.match(block.text)
        and not is_insert(block)
    )


def separator_marks(text: str) -> set[str]:
    """The marks standing alone between words: '--', '–', '@', '|'."""
    return {
        token
        for token in text.split()
        if len(token) <= 3 and not re.search(r"\w", token)
    }


def mark_head_captions(head: list[Block], body_indent: int) -> None:
    """Above the body, a line under a bulleted photo credit and indented deeper than the
    body is the photo's caption. (Inside the body the same shape is a definition list.)"""
    for previous, block in itertools.pairwise(head):
        if (
            previous.bullet
            and not block.bullet
            and block.indent > body_indent
            and len(block.text.split()) >= 6
        ):
            block.caption = True


def article_blocks(blocks: list[Block], candidates: Iterable[int]) -> list[int]:
    """The indices of the body's blocks among the candidates, in order: prose,
    subheadings, lists and tables between the prose, less captions, links, labelled
    inserts and the link lists under an insert heading."""
    kept: list[int] = []
    in_insert = False
    for index in before_copyright_notice(blocks, list(candidates)):
        block = blocks[index]
        if block.prose:
            kept.append(index)
            in_insert = False
        elif INSERT_HEADING.match(block.text):
            in_insert = True
        elif not (
            in_insert
            or block.caption
            or (block.repeated and not block.echo)
            or is_insert(block)
            or ALT_TEXT_LINE.match(block.text)
            or not has_text(block)
        ):
            kept.append(index)
    return kept


def before_copyright_notice(blocks: list[Block], candidates: list[int]) -> list[int]:
    """The candidates up to the page's copyright notice, where it closes most of the
    article's prose: what follows it (a comment form, a footer) is not the article's.
    A notice near the top (a standard's front matter) closes nothing."""
    prose = [
        len(blocks[index].text) if blocks[index].prose else 0 for index in candidates
    ]
    for position, index in enumerate(candidates):
        if not is_copyright_notice(blocks[index]):
            continue
        above, below = sum(prose[:position]), sum(prose[position + 1 :])
        if above > 0 and below <= above:
            return candidates[:position]
    return candidates


def is_copyright_notice(block: Block) -> bool:
    """A line claiming the page's copyright, not a photo's credit."""
    return (
        len(block.text) >= MIN_NOTICE_CHARS
        and not block.caption
        and COPYRIGHT_NOTICE.match(block.text) is not None
    )


def has_text(block: Block) -> bool:
    """False for a rule or a row of symbols between sections: no text to label."""
    return bool(re.search(r"[^\W_]", DECORATION.sub("", block.text)))


def is_insert(block: Block) -> bool:
    """A link dropped into the body: a URL, or a short 'Label: headline' line."""
    return bool(URL.search(block.text)) or bool(
        LABEL_PREFIX.match(block.text) and len(block.text) <= SHORT_BLOCK_CHARS
    )
