"""The page-dump cleaner: a browser's or a text browser's rendering of a news page in,
the article out, with its metadata separated.

It reads structure, not words: a dump is cut into blocks (a line in an unwrapped
rendering; a run of same-indent lines in a hard-wrapped one), each block is scored as
prose by its length, its sentence punctuation and its share of function words in the
page's language (jusText's stop lists, so any of its ~100 languages), and the article
is the densest run of prose blocks (a maximum-sum segment). Inside it, runs of short
non-prose blocks (inserted link lists) are dropped and single short blocks between
prose (subheadings) are kept. Metadata is read from the lines around the title.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import justext
from dateutil import parser as date_parser

BULLET = re.compile(r"^\s*(?:[•*+#o·▪■-]|\d+\.)\s+")
IMAGE_MARKER = re.compile(
    r"\[(?:[^\]\s]*\.(?:jpe?g|png|gif|webp|svg)[^\]]*|image|IMG|INLINE)\]", re.I
)
LYNX_NOISE = re.compile(r"\(BUTTON\)|\[[A-Za-z_-]{0,20}\]|^\s*#\S*")
SENTENCE_END = re.compile(r"[.!?…»\"”’')\]:;。]$")
LABEL_PREFIX = re.compile(r"^[\w’'-]+(?:\s[\w’'-]+){0,2}\s?:\s+\S")
CREDIT_SUFFIX = re.compile(r"\([\w .,&'-]{2,40}\)\.?$")
URL = re.compile(r"https?://\S+|\bt\.me/\S+|www\.\S+")
BYLINE = re.compile(r"^(?:by|por|von|par|di|door|av|автор)\s+(.{2,80})$", re.I)
SOURCE_CREDIT = re.compile(
    r"^(?:source|sources|fonte|quelle|fuente|источник)\s*:\s*(.{2,80})$", re.I
)
DATE_HINT = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:\d{1,2}\s+)?[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{4})\b"
)
MIN_PROSE_CHARS = 70
LONG_PROSE_CHARS = 200
SHORT_BLOCK_CHARS = 120
MAX_DUMP_CHARS = 5_000_000
EXP_BUL = __import__("os").environ.get("BUL") == "1"
EXP_DUP = __import__("os").environ.get("DUP") == "1"
MAX_GAP = int(__import__("os").environ.get("MAXGAP", "1000"))
EXP_KEEP = __import__("os").environ.get("KEEP") == "1"
INSERT_HEADING = re.compile(r"^(?:related|read more|read next|more|most read|see also|also read|advertisement|share|listen)\b", re.I)
GAP_SHARE = float(__import__("os").environ.get("GS", "0.15"))
GAP_GROWTH = float(__import__("os").environ.get("GG", "0.5"))


@dataclass
class CleanedPage:
    text: str
    title: str = ""
    byline: str = ""
    publisher: str = ""
    source_credit: str = ""
    published_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    style: str = ""

    def as_meta(self) -> dict:
        meta: dict = {
            "tags": self.tags,
            "captions": self.captions,
            "cleaner": {"style": self.style},
        }
        if self.source_credit:
            meta["source_credit"] = self.source_credit
        if self.warnings:
            meta["warnings"] = self.warnings
        return meta


@dataclass
class Block:
    text: str
    first_line: int
    indent: int
    bullet: bool
    prose: bool = False
    score: float = 0.0
    caption: bool = False


def clean_page_dump(dump: str) -> CleanedPage:
    """Split a page dump into the article body and its metadata."""
    if len(dump) > MAX_DUMP_CHARS:
        dump = dump[:MAX_DUMP_CHARS]
    lines = dump.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    style = rendering_style(lines)
    blocks = read_blocks(lines, wrap_width(lines, style))
    if not blocks:
        return CleanedPage(text="", style=style, warnings=["the page is empty"])
    stoplist = page_stoplist(" ".join(block.text for block in blocks))
    for block in blocks:
        block.prose, block.score = prose_score(
            block, stoplist, unwrapped=style == "unwrapped"
        )
    mark_credited_captions(blocks)
    if EXP_DUP:
        mark_repeated_prose(blocks)
    body_range = densest_prose_run(blocks)
    if body_range is None:
        return CleanedPage(
            text="",
            style=style,
            warnings=["no article prose found: the page looks like menus and links"],
        )
    start, end = body_range
    body = [b for b in article_blocks(blocks[start : end + 1]) if not is_promo(b)]
    page = CleanedPage(text="\n\n".join(b.text for b in body), style=style)
    mark_head_captions(blocks[max(0, start - 15) : start], blocks[start].indent)
    page.captions = [b.text for b in blocks[max(0, start - 15) : end + 1] if b.caption]
    read_head_metadata(page, blocks[:start])
    page.tags = tag_list(blocks[end + 1 :])
    page.publisher = page.publisher or repeated_site_name(lines)
    if len(page.text) < 200 or len(page.text) < 0.05 * len(dump):
        page.warnings.append(
            "little article prose was found: check that the text is the article"
        )
    return page


def rendering_style(lines: list[str]) -> str:
    """'wrapped' for hard-wrapped renderings (lynx), else 'unwrapped' (w3m, copy-all)."""
    text_lines = [line for line in lines if line.strip()]
    if not text_lines:
        return "unwrapped"
    widths = sorted(len(line.rstrip()) for line in text_lines)
    longest = widths[-1]
    indented = sum(1 for line in text_lines if line.startswith("   ")) / len(text_lines)
    near_limit = sum(1 for width in widths if width >= 0.85 * longest) / len(widths)
    return (
        "wrapped"
        if longest <= 140 and indented > 0.5 and near_limit > 0.08
        else "unwrapped"
    )


def clean_line(line: str) -> str:
    line = IMAGE_MARKER.sub(" ", line)
    return re.sub(r"\s+", " ", line).strip()


def wrap_width(lines: list[str], style: str) -> int:
    """The column a renderer wraps at: a hard wall of line ends in a wrapped dump, the
    line-length cap (w3m cuts lines near 1,020 characters) in an unwrapped one."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if not lengths:
        return 0
    if style == "wrapped":
        return lengths[int(0.95 * (len(lengths) - 1))]
    return lengths[-1] if lengths[-1] >= 400 else 10**9


def read_blocks(lines: list[str], width: int) -> list[Block]:
    """Lines into blocks, re-joining a line with the next where the renderer wrapped it:
    same text column, and the next line's first word would not have fitted."""
    blocks: list[Block] = []
    previous = ""
    column = -1
    for number, raw in enumerate(lines, start=1):
        line = LYNX_NOISE.sub("", raw).rstrip() if width < 400 else raw.rstrip()
        if not line.strip():
            previous, column = "", -1
            continue
        indent = len(line) - len(line.lstrip())
        bullet = BULLET.match(line)
        text = clean_line(BULLET.sub("", line))
        first_word = line.split()[0]
        wrapped = (
            previous
            and not bullet
            and indent == column
            and len(previous) + 1 + len(first_word) > width
        )
        if wrapped and blocks:
            blocks[-1].text = clean_line(blocks[-1].text + " " + text)
        elif text:
            blocks.append(Block(text, number, indent, bool(bullet)))
        previous = line
        column = bullet.end() if bullet else indent
    return blocks


@cache
def stoplists() -> dict[str, frozenset[str]]:
    return {
        name: frozenset(justext.get_stoplist(name)) for name in justext.get_stoplists()
    }


def page_stoplist(text: str) -> frozenset[str]:
    """The stop list of the page's language: the one its words hit most often."""
    words = [word.lower() for word in re.findall(r"\w+", text[:200_000])]
    if not words:
        return frozenset()
    sample = words[:20_000]
    best = max(
        stoplists().values(), key=lambda stops: sum(word in stops for word in sample)
    )
    return best


def prose_score(
    block: Block, stoplist: frozenset[str], *, unwrapped: bool = True
) -> tuple[bool, float]:
    words = re.findall(r"\w+", block.text.lower())
    if not words:
        return False, -1.0
    stop_density = (
        sum(word in stoplist for word in words) / len(words) if stoplist else 0.3
    )
    ends_sentence = bool(SENTENCE_END.search(block.text))
    long_enough = len(block.text) >= MIN_PROSE_CHARS and len(words) >= 10
    # In an unwrapped dump a <br> may cut a sentence: a long line rich in function words
    # is prose all the same. (Hard-wrapped paragraphs are rejoined, so they keep their end.)
    unpunctuated_prose = (
        unwrapped and len(block.text) >= LONG_PROSE_CHARS and stop_density >= 0.3
    )
    prose = (
        long_enough
        and (ends_sentence or unpunctuated_prose)
        and stop_density >= 0.15
        and not URL.search(block.text[:40])
    )
    if prose:
        return True, float(len(block.text))
    # Non-prose costs in proportion to its length, so a menu outweighs a short caption.
    return False, -max(25.0, 0.5 * len(block.text))


def mark_credited_captions(blocks: list[Block]) -> None:
    """Short lines ending in a parenthesised credit, such as '... in Bamako (AFP).'"""
    for block in blocks:
        if (
            len(block.text) <= 200
            and len(block.text.split()) >= 4
            and CREDIT_SUFFIX.search(block.text)
        ):
            block.caption, block.prose = True, False
            block.score = -boilerplate_cost(block)


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


def mark_repeated_prose(blocks: list[Block]) -> None:
    """Prose printed twice on a page is a banner or a teaser, not the article: it counts
    as boilerplate, so it never outweighs the article."""
    seen = Counter(block.text for block in blocks if block.prose)
    for block in blocks:
        if block.prose and seen[block.text] > 1:
            block.prose, block.score = False, -boilerplate_cost(block)


def densest_prose_run(blocks: list[Block]) -> tuple[int, int] | None:
    """The article's extent: the best maximum-sum run over the prose indents tried."""
    best: tuple[float, tuple[int, int] | None] = (0.0, None)
    for indent in prose_indents(blocks):
        best = max(best, densest_run_at(blocks, indent), key=lambda found: found[0])
    return best[1]


def prose_indents(blocks: list[Block]) -> list[int]:
    """Indents that carry a fair share of the page's prose: the article's is among them."""
    chars: dict[int, int] = {}
    for block in blocks:
        if block.prose:
            chars[block.indent] = chars.get(block.indent, 0) + len(block.text)
    total = sum(chars.values())
    return [indent for indent, size in chars.items() if size >= GAP_SHARE * total]


def densest_run_at(
    blocks: list[Block], indent: int
) -> tuple[float, tuple[int, int] | None]:
    """Kadane over block scores where prose at another indent (teasers, sidebars) counts
    as boilerplate, and each further block of a gap costs more than the last: an article
    survives a short insert, not a long break such as the one before its comments."""
    best, best_range, running, run_start, gap = 0.0, None, 0.0, 0, 0
    for index, block in enumerate(blocks):
        if running <= 0:
            running, run_start, gap = 0.0, index, 0
        if block.prose and (block.indent == indent or (EXP_BUL and block.bullet)):
            running += block.score
            gap = 0
            if running > best:
                best, best_range = running, (run_start, index)
        else:
            gap += 1
            running -= boilerplate_cost(block) * (1 + GAP_GROWTH * (gap - 1))
            if gap >= MAX_GAP:
                running = 0.0
    if best_range is None:
        return 0.0, None
    start, end = best_range
    while start < end and not blocks[start].prose:
        start += 1
    return best, (start, end)


def boilerplate_cost(block: Block) -> float:
    return max(25.0, 0.5 * len(block.text))


def article_blocks(blocks: list[Block]) -> list[Block]:
    """Keep prose and lone subheadings; drop runs of short blocks and labelled inserts."""
    kept = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.prose:
            kept.append(block)
            index += 1
            continue
        run_end = index
        while run_end + 1 < len(blocks) and not blocks[run_end + 1].prose:
            run_end += 1
        run = blocks[index : run_end + 1]
        if EXP_KEEP:
            kept += kept_from_run(run)
        elif len(run) == 1 and is_subheading(block):
            kept.append(block)
        else:
            kept += [b for b in run if is_short_sentence(b)]
        index = run_end + 1
    return kept


def kept_from_run(run: list[Block]) -> list[Block]:
    if INSERT_HEADING.match(run[0].text):
        return []
    return [
        b
        for b in run
        if not b.caption
        and not URL.search(b.text)
        and not (LABEL_PREFIX.match(b.text) and len(b.text) <= SHORT_BLOCK_CHARS)
        and not INSERT_HEADING.match(b.text)
    ]


def is_short_sentence(block: Block) -> bool:
    """A short paragraph of the article itself: an unbulleted, punctuated sentence."""
    return (
        not block.bullet
        and not block.caption
        and len(block.text.split()) >= 5
        and bool(SENTENCE_END.search(block.text))
        and not LABEL_PREFIX.match(block.text)
        and not URL.search(block.text)
    )


def is_subheading(block: Block) -> bool:
    return (
        not block.bullet
        and len(block.text) <= SHORT_BLOCK_CHARS
        and len(block.text.split()) >= 3
        and not LABEL_PREFIX.match(block.text)
        and not URL.search(block.text)
    )


def is_promo(block: Block) -> bool:
    """A closing line that sends the reader elsewhere: short and carrying a link."""
    return len(block.text) <= 200 and bool(URL.search(block.text))


def read_head_metadata(page: CleanedPage, head: list[Block]) -> None:
    """Title, byline, credited source and date from the blocks above the body."""
    window = head[-14:]
    for block in window:
        text = block.text
        if match := BYLINE.match(text):
            page.byline = page.byline or match.group(1).strip()
        elif match := SOURCE_CREDIT.match(text):
            page.source_credit = page.source_credit or match.group(1).strip()
        elif page.published_at is None and len(text) <= 60 and DATE_HINT.search(text):
            page.published_at = parse_date(text)
    page.title = guess_title(window)


def is_meta(block: Block) -> bool:
    text = block.text
    return bool(
        BYLINE.match(text)
        or SOURCE_CREDIT.match(text)
        or (len(text) <= 60 and DATE_HINT.search(text))
    )


def guess_title(window: list[Block]) -> str:
    """The headline-shaped block just above the byline/date lines (else above the body)."""
    meta_at = next(
        (index for index, block in enumerate(window) if is_meta(block)), len(window)
    )
    for block in reversed(window[:meta_at]):
        text = block.text
        if block.bullet or block.caption or is_meta(block):
            continue
        if (
            3 <= len(text.split()) <= 30
            and not text.endswith((".", ":"))
            and not block.prose
        ):
            return text
    return ""


def parse_date(text: str) -> datetime | None:
    try:
        with warnings.catch_warnings():
            # Zone abbreviations it cannot place (ET, PST) are read as UTC below.
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)
            value = date_parser.parse(
                text, fuzzy=True, default=datetime(2000, 1, 1), ignoretz=True
            )
    except (ValueError, OverflowError):
        return None
    if value.year < 1990 or value.year > 2100:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def tag_list(tail: list[Block]) -> list[str]:
    """The first run of short bulleted items after the body: the article's tags."""
    tags: list[str] = []
    for block in tail[:40]:
        if (
            block.bullet
            and len(block.text.split()) <= 5
            and not SENTENCE_END.search(block.text)
        ):
            tags.append(block.text)
        elif tags or block.prose:
            break
    return tags if len(tags) >= 2 else []


def repeated_site_name(lines: list[str]) -> str:
    """The page's first line when it comes back further down (a header and footer name)."""
    stripped = [line.strip() for line in lines if line.strip()]
    if not stripped:
        return ""
    first = BULLET.sub("", stripped[0]).strip()
    if (
        2 <= len(first) <= 60
        and len(first.split()) <= 6
        and stripped.count(stripped[0]) >= 2
    ):
        return first
    return ""
