"""The document-level shapes: `stance` (one line per document and target) and
`reliability` (one line per document, source and role)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from annotate.exports.selection import Item, annotated_documents, any_of, grouped
from annotate.models import Document, Project, Rating, Stance


def _evidence(start: int | None, end: int | None, text: str) -> dict[str, Any] | None:
    if start is None:
        return None
    return {"start": start, "end": end, "text": text}


def _fetch_stances(assignment_ids: list[int]) -> dict[int, list[Item]]:
    return grouped(
        Stance.objects.filter(assignment_id__in=any_of(assignment_ids))
        .order_by()
        .values_list(
            "assignment_id",
            "target__name",
            "label__name",
            "evidence_start",
            "evidence_end",
            "evidence_text",
            "note",
        )
    )


def stance_lines(
    project: Project,
    *,
    documents: QuerySet[Document],
    selection: str,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """{document_id, text, target, label, evidence, meta}."""
    rows = annotated_documents(
        documents,
        selection=selection,
        fields=("text", "meta"),
        fetch_items=_fetch_stances,
        key=lambda item: item[:2],
    )
    for row, version, stances in rows:
        for target, label, start, end, evidence, _note in stances:
            yield {
                "document_id": row["id"],
                "text": row["text"],
                "target": target,
                "label": label,
                "evidence": _evidence(start, end, evidence),
                "meta": row["meta"],
                **version.as_fields(),
            }


def _fetch_ratings(assignment_ids: list[int]) -> dict[int, list[Item]]:
    return grouped(
        Rating.objects.filter(assignment_id__in=any_of(assignment_ids))
        .order_by()
        .values_list(
            "assignment_id",
            "source__name",
            "role",
            "label__name",
            "source__domain",
            "label__value",
            "evidence_start",
            "evidence_end",
            "evidence_text",
            "rationale",
        )
    )


def reliability_lines(
    project: Project,
    *,
    documents: QuerySet[Document],
    selection: str,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """{source, domain, role, label, value, evidence, rationale, document_id}."""
    rows = annotated_documents(
        documents,
        selection=selection,
        fields=(),
        fetch_items=_fetch_ratings,
        key=lambda item: item[:3],
    )
    for row, version, ratings in rows:
        for source, role, label, domain, value, start, end, evidence, why in ratings:
            yield {
                "source": source,
                "domain": domain,
                "role": role,
                "label": label,
                "value": value,
                "evidence": _evidence(start, end, evidence),
                "rationale": why,
                "document_id": row["id"],
                **version.as_fields(),
            }
