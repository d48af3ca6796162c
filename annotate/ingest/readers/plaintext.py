"""Text files: `txt` (the file is the document, verbatim) and `pagedump` (a browser's
text rendering of a news page, cleaned down to the article)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from annotate.ingest.readers.files import DecodedText, file_origin, read_document_text
from annotate.ingest.records import DocumentRecord, Rejection

NO_PAGE_TEXT = "no article text found in the page dump"


def read_txt(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    decoded = read_document_text(stream)
    if not isinstance(decoded, DecodedText):
        yield Rejection(file_origin(name), decoded)
        return
    text = normalise_newlines(decoded.text).rstrip()
    if text:
        yield DocumentRecord(
            text=text,
            raw=decoded.text,
            origin=file_origin(name),
            meta={"import": _provenance(name, "txt", decoded)},
        )


def read_pagedump(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    # Imported on use: the cleaner is its own module, written apart from the readers,
    # and no other format should depend on it importing.
    from annotate.ingest.pagedump import clean_page_dump

    decoded = read_document_text(stream)
    if not isinstance(decoded, DecodedText):
        yield Rejection(file_origin(name), decoded)
        return
    if not decoded.text.strip():
        return
    page = clean_page_dump(normalise_newlines(decoded.text))
    if not page.text.strip():
        yield Rejection(file_origin(name), NO_PAGE_TEXT)
        return
    yield DocumentRecord(
        text=page.text,
        raw=decoded.text,
        origin=file_origin(name),
        title=page.title or "",
        publisher=page.publisher or "",
        byline=page.byline or "",
        published_at=_as_datetime(page.published_at),
        meta={**page.as_meta(), "import": _provenance(name, "pagedump", decoded)},
    )


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _provenance(name: str, fmt: str, decoded: DecodedText) -> dict[str, Any]:
    provenance: dict[str, Any] = {"file": name, "line": 1, "format": fmt}
    if decoded.encoding:
        provenance["encoding"] = decoded.encoding
    return provenance


def _as_datetime(value: object) -> datetime | None:
    """The cleaner's date as an aware datetime; a date alone is midnight UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None
