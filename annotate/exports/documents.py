"""The `documents` shape: one article a line, as imported, with its metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from annotate.exports.selection import CHUNK_SIZE
from annotate.models import Document, Project


def document_lines(
    project: Project, *, documents: QuerySet[Document], **options: Any
) -> Iterator[dict[str, Any]]:
    """One dict per document, streamed from a server-side cursor; annotations are not
    part of this shape, so the selection (--gold/--all/--majority) does not apply."""
    rows = (
        documents.select_related("publisher")
        .defer("raw", "search")
        .order_by("id")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for document in rows:
        yield {
            "id": document.pk,
            "external_id": document.external_id,
            "title": document.title,
            "text": document.text,
            "url": document.url,
            "publisher": document.publisher.name if document.publisher else None,
            "byline": document.byline,
            "published_at": document.published_at.isoformat()
            if document.published_at
            else None,
            "language": document.language,
            "story_key": document.story_key,
            "meta": document.meta,
        }
