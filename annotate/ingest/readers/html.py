"""HTML pages: the article body and its metadata through trafilatura."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from trafilatura import bare_extraction

from annotate.ingest.readers.files import DecodedText, file_origin, read_document_text
from annotate.ingest.records import DocumentRecord, Rejection

NO_TEXT = "no article text found in the HTML"
DECLARED_LANGUAGE = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.I
)
META_KEYS = (
    "description",
    "hostname",
    "categories",
    "tags",
    "image",
    "pagetype",
    "license",
)


@dataclass(slots=True)
class Article:
    text: str
    title: str = ""
    byline: str = ""
    publisher: str = ""
    url: str = ""
    language: str = ""
    published_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def extract_article(html: str, url: str = "") -> Article | None:
    """The main text (paragraphs separated by a blank line) and metadata, or None."""
    # Comments are readers', not the article's; tables stay, as they can carry the facts.
    document = bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False
    )
    if document is None:
        return None
    found = document.as_dict()
    paragraphs = [line.strip() for line in (found.get("text") or "").splitlines()]
    text = "\n\n".join(line for line in paragraphs if line)
    if not text:
        return None
    declared = DECLARED_LANGUAGE.search(html[:20_000])
    return Article(
        text=text,
        title=found.get("title") or "",
        byline=found.get("author") or "",
        publisher=found.get("sitename") or "",
        url=found.get("url") or url,
        language=found.get("language") or (declared.group(1) if declared else ""),
        published_at=_date(found.get("date")),
        meta={key: found[key] for key in META_KEYS if found.get(key)},
    )


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    origin = file_origin(name)
    decoded = read_document_text(stream)
    if not isinstance(decoded, DecodedText):
        yield Rejection(origin, decoded)
        return
    article = extract_article(decoded.text)
    if article is None:
        yield Rejection(origin, NO_TEXT)
        return
    provenance: dict[str, Any] = {"file": name, "line": 1, "format": "html"}
    if decoded.encoding:
        provenance["encoding"] = decoded.encoding
    yield DocumentRecord(
        text=article.text,
        raw=decoded.text,
        origin=origin,
        title=article.title,
        url=article.url,
        publisher=article.publisher,
        byline=article.byline,
        published_at=article.published_at,
        language=article.language,
        meta={**article.meta, "import": provenance},
    )
