"""Documents: bulk create (streamed, see bulk), the keyset-paged list with filters,
one document, and deletion by a manager."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from annotate.access import Role, document_in
from annotate.api.bulk import bulk_create
from annotate.api.core import access_to, api, responses
from annotate.api.schemas import BulkResult, DocumentIn, DocumentOut, DocumentPage
from annotate.models import Assignment, Document, Source

router = Router(tags=["documents"])

BULK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/DocumentIn"},
            }
        },
        "application/x-ndjson": {
            "schema": {"$ref": "#/components/schemas/DocumentIn"},
        },
    },
}
api.extra_schemas.append(DocumentIn)
STATES = Literal["unassigned", "assigned", "submitted", "accepted", "rejected", "gold"]


@router.post(
    "/{slug}/documents/",
    response=responses(
        {200: BulkResult}, errors=(400, 401, 403, 404, 411, 413, 415, 422, 429, 500)
    ),
    openapi_extra={"requestBody": BULK_BODY},
)
def create_documents(request: HttpRequest, slug: str, strict: bool = False):
    """Add documents: a JSON array, or NDJSON (one object a line), of records with the
    fields of a JSONL import (`DocumentIn`), read as it arrives. A document already in
    the project (same text) is counted as a duplicate, so re-sending is harmless. Bad
    records are listed by index and field and the rest are loaded; with `strict`,
    nothing is loaded if any record is bad. Needs the manager role."""
    access = access_to(request, slug, Role.MANAGER)
    status, result = bulk_create(request, access.project, strict=strict)
    return Status(status, result)


class DocumentFilters(Schema):
    after: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="Cursor: ids above it."
    )
    limit: int = Field(default=100, ge=1, le=1000)
    state: STATES | None = Field(
        default=None,
        description="Documents with a version in this state (only yours, in a blind "
        "project, unless you review); unassigned: with no version.",
    )
    search: str | None = Field(
        default=None, max_length=500, description="Full text, web-search syntax."
    )
    story: str | None = Field(default=None, max_length=64)
    publisher: str | None = Field(
        default=None, max_length=300, description="Name, alias or id."
    )
    external_id: str | None = Field(default=None, max_length=300)
    updated_since: datetime | None = Field(
        default=None, description="Created, or with a version changed, since then."
    )


@router.get("/{slug}/documents/", response=responses({200: DocumentPage}))
def list_documents(request: HttpRequest, slug: str, filters: Query[DocumentFilters]):
    """The project's documents in id order, a page at a time (`next_after`)."""
    access = access_to(request, slug)
    documents = Document.objects.for_project(access.project).for_list()
    versions = Assignment.objects.filter(document=OuterRef("pk"), is_imported=False)
    if not access.sees_others_work():
        versions = versions.filter(annotator=request.user)
    documents = _filtered(documents, versions, filters)
    if filters.after is not None:
        documents = documents.filter(id__gt=filters.after)
    rows = list(documents.order_by("id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [summary(document) for document in rows],
        "next_after": rows[-1].pk if more else None,
    }


def _filtered(documents, versions, filters: DocumentFilters):
    if filters.search:
        documents = documents.search(filters.search.replace("\x00", ""))
    # PostgreSQL stores no NUL character, so a value holding one matches nothing.
    if filters.story is not None:
        documents = documents.filter(story_key=filters.story.replace("\x00", "\ufffd"))
    if filters.external_id is not None:
        documents = documents.filter(
            external_id=filters.external_id.replace("\x00", "\ufffd")
        )
    if filters.publisher:
        name = filters.publisher.replace("\x00", "")
        publisher = (
            Source.objects.filter(pk=int(name)).first()
            if name.isdigit() and int(name) < 2**63
            else Source.objects.named(name)
        )
        documents = (
            documents.filter(publisher=publisher) if publisher else documents.none()
        )
    people = versions.filter(is_gold=False)
    if filters.state == "unassigned":
        documents = documents.exclude(Exists(people))
    elif filters.state == "assigned":
        documents = documents.filter(
            Exists(people.filter(status=Assignment.Status.ASSIGNED))
        )
    elif filters.state == "submitted":
        documents = documents.filter(
            Exists(people.filter(status=Assignment.Status.SUBMITTED))
        )
    elif filters.state in ("accepted", "rejected"):
        documents = documents.filter(Exists(people.filter(review_state=filters.state)))
    elif filters.state == "gold":
        documents = documents.filter(
            Exists(Assignment.objects.filter(document=OuterRef("pk"), is_gold=True))
        )
    if filters.updated_since is not None:
        since = filters.updated_since
        if since.tzinfo is not None:
            # PostgreSQL takes offsets up to ±15:59 only; Python's go to ±23:59.
            since = since.astimezone(UTC)
        changed = versions.filter(updated_at__gte=since)
        documents = documents.filter(Q(created_at__gte=since) | Exists(changed))
    return documents


def summary(document: Document) -> dict:
    return {
        "id": document.pk,
        "external_id": document.external_id,
        "title": document.title,
        "url": document.url,
        "publisher": document.publisher.name if document.publisher else None,
        "published_at": document.published_at,
        "language": document.language,
        "story_key": document.story_key,
        "created_at": document.created_at,
    }


@router.get("/{slug}/documents/{int:pk}/", response=responses({200: DocumentOut}))
def get_document(request: HttpRequest, slug: str, pk: int):
    """One document, its text and metadata."""
    document = document_in(access_to(request, slug), pk)
    return {
        **summary(document),
        "text": document.text,
        "byline": document.byline,
        "meta": document.meta or {},
        "content_hash": document.content_hash,
    }


@router.delete("/{slug}/documents/{int:pk}/", response=responses({204: None}))
def delete_document(request: HttpRequest, slug: str, pk: int):
    """Delete a document with everything said about it. Needs the manager role."""
    document = document_in(access_to(request, slug, Role.MANAGER), pk)
    document.delete()
    return Status(204, None)
