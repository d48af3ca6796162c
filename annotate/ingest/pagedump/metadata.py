"""The cleaned page and the metadata read around its body: title, byline, credited
source and date above it, tags below it, the site's name from its header and footer."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dateutil import parser as date_parser

from annotate.ingest.pagedump.blocks import BULLET, BYLINE, Block
from annotate.ingest.pagedump.shapes import DATE_HINT, SENTENCE_END

SOURCE_CREDIT = re.compile(
    r"^(?:source|sources|fonte|quelle|fuente|источник)\s*:\s*(.{2,80})$", re.I
)


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
        return {
            "tags": self.tags,
            "captions": self.captions,
            "source_credit": self.source_credit,
            "warnings": self.warnings,
            "style": self.style,
        }


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
