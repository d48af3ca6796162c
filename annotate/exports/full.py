"""The `full` shape: everything needed to restore a project (annotate/ingest/readers/full.py
reads it back). The first line describes the project: its labels, stance targets,
entities and the sources its documents refer to; then one line per document with every
assignment (every annotator's and the gold one) and everything hanging off them.

Things are referred to by name (labels by kind and name, users by username), never by
database id, so the file restores into another project or another installation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from annotate.exports.selection import any_of, document_rows, grouped
from annotate.fullformat import FORMAT_NAME, FORMAT_VERSION
from annotate.models import (
    Assignment,
    Document,
    Entity,
    Label,
    Project,
    Rating,
    Source,
    Span,
    Stance,
)

DOCUMENT_FIELDS = (
    "external_id",
    "title",
    "text",
    "raw",
    "url",
    "publisher__name",
    "byline",
    "published_at",
    "language",
    "story_key",
    "meta",
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def project_header(project: Project) -> dict[str, Any]:
    """The first line: the project's settings and everything its documents refer to."""
    labels = Label.objects.filter(project=project).order_by("kind", "position", "name")
    entities = Entity.objects.filter(project=project).select_related("type")
    sources = Source.objects.filter(
        Q(published_documents__project=project)
        | Q(ratings__assignment__document__project=project)
    ).distinct()
    return {
        "kind": "project",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "project": {
            "name": project.name,
            "slug": project.slug,
            "guidelines": project.guidelines,
            "overlap": project.overlap,
            "blind": project.blind,
        },
        "labels": [
            {
                "kind": label.kind,
                "name": label.name,
                "colour": label.colour,
                "shortcut": label.shortcut,
                "value": label.value,
                "description": label.description,
                "position": label.position,
            }
            for label in labels
        ],
        "stance_targets": [
            {
                "name": target.name,
                "description": target.description,
                "entity": target.entity.name if target.entity else None,
            }
            for target in project.stance_targets.select_related("entity").order_by(
                "name"
            )
        ],
        "entities": [
            {
                "name": entity.name,
                "type": entity.type.name if entity.type else None,
                "aliases": entity.aliases,
                "external_id": entity.external_id,
            }
            for entity in entities.order_by("name")
        ],
        "sources": [
            {
                "name": source.name,
                "aliases": source.aliases,
                "domain": source.domain,
                "factuality": source.factuality,
                "bias": source.bias,
                "reference": source.reference,
            }
            for source in sources.order_by("name")
        ],
    }


def _assignments_of(document_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Every assignment of the documents, items included: four queries in all."""
    assignments = list(
        Assignment.objects.filter(document_id__in=any_of(document_ids))
        .order_by("document_id", "-is_gold", "annotator__username")
        .values(
            "id",
            "document_id",
            "annotator__username",
            "is_gold",
            "status",
            "review_state",
            "reviewer__username",
            "review_comment",
            "reviewed_at",
            "submitted_at",
        )
    )
    pks = [a["id"] for a in assignments]
    spans = grouped(
        Span.objects.filter(assignment_id__in=any_of(pks))
        .order_by("assignment_id", "start", "-end", "label__name")
        .values_list(
            "assignment_id",
            "start",
            "end",
            "label__name",
            "text",
            "entity__name",
            "origin",
        )
    )
    stances = grouped(
        Stance.objects.filter(assignment_id__in=any_of(pks))
        .order_by("assignment_id", "target__name")
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
    ratings = grouped(
        Rating.objects.filter(assignment_id__in=any_of(pks))
        .order_by("assignment_id", "role", "source__name")
        .values_list(
            "assignment_id",
            "source__name",
            "role",
            "label__name",
            "evidence_start",
            "evidence_end",
            "evidence_text",
            "rationale",
        )
    )
    by_document: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        by_document[a["document_id"]].append(
            _assignment_line(a, spans[a["id"]], stances[a["id"]], ratings[a["id"]])
        )
    return by_document


def _assignment_line(
    a: dict[str, Any], spans: list, stances: list, ratings: list
) -> dict[str, Any]:
    return {
        "annotator": a["annotator__username"],
        "is_gold": a["is_gold"],
        "status": a["status"],
        "review_state": a["review_state"],
        "reviewer": a["reviewer__username"],
        "review_comment": a["review_comment"],
        "reviewed_at": _iso(a["reviewed_at"]),
        "submitted_at": _iso(a["submitted_at"]),
        "spans": [
            dict(
                zip(
                    ("start", "end", "label", "text", "entity", "origin"),
                    s,
                    strict=True,
                )
            )
            for s in spans
        ],
        "stances": [
            {
                "target": target,
                "label": label,
                "evidence_start": start,
                "evidence_end": end,
                "evidence_text": evidence,
                "note": note,
            }
            for target, label, start, end, evidence, note in stances
        ],
        "ratings": [
            {
                "source": source,
                "role": role,
                "label": label,
                "evidence_start": start,
                "evidence_end": end,
                "evidence_text": evidence,
                "rationale": rationale,
            }
            for source, role, label, start, end, evidence, rationale in ratings
        ],
    }


def full_lines(
    project: Project, *, documents: QuerySet[Document], **options: Any
) -> Iterator[dict[str, Any]]:
    """The project header, then one line per document with all its assignments."""
    yield project_header(project)
    for chunk in document_rows(documents, DOCUMENT_FIELDS, chunk_size=500):
        assignments = _assignments_of([row["id"] for row in chunk])
        for row in chunk:
            yield {
                "kind": "document",
                "id": row["id"],
                "external_id": row["external_id"],
                "title": row["title"],
                "text": row["text"],
                "raw": row["raw"],
                "url": row["url"],
                "publisher": row["publisher__name"],
                "byline": row["byline"],
                "published_at": _iso(row["published_at"]),
                "language": row["language"],
                "story_key": row["story_key"],
                "meta": row["meta"],
                "assignments": assignments.get(row["id"], []),
            }
