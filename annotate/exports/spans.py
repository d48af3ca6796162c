"""The span shapes: `spans` (spaCy), `doccano` and `bio` (Hugging Face token classification).

Offsets are Python string indices (code points), as everywhere in newsapp.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from annotate.exports.selection import (
    ExportReport,
    Item,
    Version,
    annotated_documents,
    any_of,
    grouped,
)
from annotate.models import Document, Label, Project, Span

# The `bio` tokeniser: runs of word characters, and every other non-space character on
# its own. Deterministic and dependency-free; "don't" gives don ' t, "U.S." gives U . S .
BIO_TOKEN = re.compile(r"\w+|[^\w\s]")


def _fetch_spans(project_labels: dict[int, str]):
    def fetch(assignment_ids: list[int]) -> dict[int, list[Item]]:
        rows = (
            Span.objects.filter(assignment_id__in=any_of(assignment_ids))
            .order_by()
            .values_list(
                "assignment_id", "start", "end", "label_id", "text", "entity_id"
            )
        )
        return grouped(
            (pk, start, end, project_labels[label], text, entity)
            for pk, start, end, label, text, entity in rows
        )

    return fetch


def _span_key(item: Item) -> Item:
    # Sorted by start, longer first, as spaCy and doccano list them; the entity does not
    # vote: annotators who agree on the span but link it differently still agree.
    start, end, label = item[0], item[1], item[2]
    return (start, -end, label)


def _span_documents(
    project: Project,
    documents: QuerySet[Document],
    selection: str,
    fields: tuple[str, ...],
) -> Iterator[tuple[dict[str, Any], Version, list[Item]]]:
    # Label names from a dict rather than a join: one small query instead of a join per span.
    project_labels = dict(
        Label.objects.filter(project=project).values_list("id", "name")
    )
    return annotated_documents(
        documents,
        selection=selection,
        fields=fields,
        fetch_items=_fetch_spans(project_labels),
        key=_span_key,
    )


def boundary_problem(text: str, start: int, end: int) -> str | None:
    """Why spaCy's `Doc.char_span(start, end)` would refuse the span, for the usual
    causes: an edge inside a word, or on whitespace. (Its tokenizer's exceptions, such
    as "U.S." being one token, are not modelled.)"""
    if text[start].isspace() or text[end - 1].isspace():
        return "starts or ends on whitespace"
    if start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        return "starts inside a word"
    if end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        return "ends inside a word"
    return None


def _warn_misaligned(
    report: ExportReport | None, document_id: int, text: str, spans: list[Item]
) -> None:
    if report is None:
        return
    for start, end, label, snapshot, _entity in spans:
        if problem := boundary_problem(text, start, end):
            report.warn(
                document_id=document_id,
                start=start,
                end=end,
                label=label,
                text=snapshot,
                problem=f"span {problem}: it does not fall on token boundaries",
            )


def span_lines(
    project: Project,
    *,
    documents: QuerySet[Document],
    selection: str,
    report: ExportReport | None = None,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """{id, text, spans: [{start, end, label, text, entity}], meta}; entity is an id."""
    for row, version, spans in _span_documents(
        project, documents, selection, ("text", "meta")
    ):
        _warn_misaligned(report, row["id"], row["text"], spans)
        yield {
            "id": row["id"],
            "text": row["text"],
            "spans": [
                {"start": s, "end": e, "label": label, "text": text, "entity": entity}
                for s, e, label, text, entity in spans
            ],
            "meta": row["meta"],
            **version.as_fields(),
        }


def doccano_lines(
    project: Project,
    *,
    documents: QuerySet[Document],
    selection: str,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """{text, label: [[start, end, label]]}: doccano's sequence-labelling JSONL."""
    for row, version, spans in _span_documents(
        project, documents, selection, ("text",)
    ):
        yield {
            "text": row["text"],
            "label": [[s, e, label] for s, e, label, _text, _entity in spans],
            **version.as_fields(),
        }


def bio_tags(text: str, spans: list[Item]) -> tuple[list[str], list[str], list[Item]]:
    """Tokens, their IOB2 tags, and the spans left out because they overlap an earlier
    (outer or leftmost) one, which IOB2 cannot represent."""
    bounds = [(m.start(), m.end()) for m in BIO_TOKEN.finditer(text)]
    tokens = [text[start:end] for start, end in bounds]
    tags = ["O"] * len(tokens)
    left_out = []
    first = 0
    for span in sorted(spans, key=_span_key):
        start, end, label = span[0], span[1], span[2]
        while first < len(bounds) and bounds[first][1] <= start:
            first += 1
        inside = []
        while (
            first + len(inside) < len(bounds) and bounds[first + len(inside)][0] < end
        ):
            inside.append(first + len(inside))
        if not inside or any(tags[i] != "O" for i in inside):
            left_out.append(span)
            continue
        tags[inside[0]] = f"B-{label}"
        for i in inside[1:]:
            tags[i] = f"I-{label}"
    return tokens, tags, left_out


def bio_lines(
    project: Project,
    *,
    documents: QuerySet[Document],
    selection: str,
    report: ExportReport | None = None,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """{id, tokens, ner_tags}: IOB2 string tags over the BIO_TOKEN tokenisation."""
    for row, version, spans in _span_documents(
        project, documents, selection, ("text",)
    ):
        tokens, tags, left_out = bio_tags(row["text"], spans)
        if report is not None:
            _warn_misaligned(report, row["id"], row["text"], spans)
            for start, end, label, snapshot, _entity in left_out:
                report.warn(
                    document_id=row["id"],
                    start=start,
                    end=end,
                    label=label,
                    text=snapshot,
                    problem="span overlaps another; IOB2 keeps the outer one",
                )
        yield {
            "id": str(row["id"]),
            "tokens": tokens,
            "ner_tags": tags,
            **version.as_fields(),
        }
