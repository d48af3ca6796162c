"""The `documents` shape: one article a line, as imported, with its metadata."""

from __future__ import annotations

from collections.abc import Iterator

from annotate.models import Document, Project

CHUNK_SIZE = 2000


def document_lines(project: Project, **options) -> Iterator[dict]:
    """One dict per document, streamed from a server-side cursor."""
    documents = (
        Document.objects.for_project(project)
        .select_related("publisher")
        .defer("raw", "search")
        .order_by("id")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for document in documents:
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
