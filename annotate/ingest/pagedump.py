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

import re
import warnings
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
    blocks = wrapped_blocks(lines) if style == "wrapped" else line_blocks(lines)
    if not blocks:
        return CleanedPage(text="", style=style, warnings=["the page is empty"])
    stoplist = page_stoplist(" ".join(block.text for block in blocks))
    for block in blocks:
        block.prose, block.score = prose_score(
            block, stoplist, unwrapped=style == "unwrapped"
        )
    mark_captions(blocks)
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


def line_blocks(lines: list[str]) -> list[Block]:
    blocks = []
    for number, line in enumerate(lines, start=1):
        text = clean_line(BULLET.sub("", line))
        if text:
            indent = len(line) - len(line.lstrip())
            blocks.append(Block(text, number, indent, bool(BULLET.match(line))))
    return blocks


def wrapped_blocks(lines: list[str]) -> list[Block]:
    """Join hard-wrapped lines back into paragraphs: a paragraph runs while the indent
    holds and no blank line, bullet or marker line intervenes."""
    blocks: list[Block] = []
    current: list[str] = []
    start, indent, bullet = 0, 0, False

    def close() -> None:
        text = clean_line(" ".join(current))
        if text:
            blocks.append(Block(text, start, indent, bullet))
        current.clear()

    for number, line in enumerate(lines, start=1):
        stripped = LYNX_NOISE.sub("", line).rstrip()
        this_indent = len(line) - len(line.lstrip())
        is_bullet = bool(BULLET.match(line))
        if not stripped.strip():
            close()
            continue
        continues = (
            current
            and not is_bullet
            and (this_indent == indent or (bullet and this_indent >= indent))
        )
        if not continues:
            close()
            start, indent, bullet = number, this_indent, is_bullet
        current.append(BULLET.sub("", stripped) if is_bullet else stripped)
    close()
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


def mark_captions(blocks: list[Block]) -> None:
    """Photo captions: lines under a bulleted photo credit, indented deeper than the
    body, or short lines ending in a parenthesised credit such as '(AFP).'"""
    prose_indents = [block.indent for block in blocks if block.prose]
    body_indent = (
        max(set(prose_indents), key=prose_indents.count) if prose_indents else 0
    )
    for previous, block in zip([None, *blocks], blocks, strict=False):
        under_credit = (
            previous is not None
            and previous.bullet
            and block.indent > body_indent
            and not block.bullet
        )
        short_credited = (
            len(block.text) <= 200
            and len(block.text.split()) >= 4
            and CREDIT_SUFFIX.search(block.text)
        )
        if (under_credit and len(block.text.split()) >= 6) or short_credited:
            block.caption, block.prose = True, False
            block.score = -max(25.0, 0.5 * len(block.text))


def densest_prose_run(blocks: list[Block]) -> tuple[int, int] | None:
    """The maximum-sum run of block scores (Kadane): the article's extent."""
    best, best_range, running, run_start = 0.0, None, 0.0, 0
    for index, block in enumerate(blocks):
        if running <= 0:
            running, run_start = 0.0, index
        running += block.score
        if running > best and block.prose:
            best, best_range = running, (run_start, index)
    if best_range is None:
        return None
    start, end = best_range
    while start < end and not blocks[start].prose:
        start += 1
    return start, end


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
        if len(run) == 1 and is_subheading(block):
            kept.append(block)
        else:
            kept += [b for b in run if is_short_sentence(b)]
        index = run_end + 1
    return kept


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
