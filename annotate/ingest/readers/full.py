"""The reader of newsapp's `full` format (annotate/exports/full.py writes it).

The first line describes the project (settings, labels, stance targets, entities,
sources): it becomes a ProjectSetup. Every other line is one document with every
assignment and what hangs off it: a DocumentRecord whose `versions` hold them. Things
are referred to by name, so a file restores into another project or installation.

Like every reader this checks the shape of what it reads and knows nothing of the
database; the loader checks what the database must agree with (label kinds, review
states) and decides whose names the versions may carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from annotate.fullformat import FORMAT_NAME, FORMAT_VERSION, IMPORTED_PREFIX
from annotate.ingest.readers.jsonstream import JsonRecord
from annotate.ingest.records import (
    ClassRecord,
    DocumentRecord,
    EntityRecord,
    LabelRecord,
    ProjectSetup,
    RatingRecord,
    ReadItem,
    Rejection,
    SourceRecord,
    SpanRecord,
    TargetRecord,
    VersionRecord,
)
from annotate.offsets import span_problem

DOCUMENT_TEXT_FIELDS = ("raw", "title", "external_id", "url", "byline", "language")


class BadLine(ValueError):
    """A line that cannot be restored; the message says what is wrong."""


def read(items: Iterator[JsonRecord | Rejection], name: str) -> Iterator[ReadItem]:
    """The file's ProjectSetup, then its documents; a bad first line rejects the file."""
    first = next(items, None)
    if first is None:
        return
    if isinstance(first, Rejection):
        yield first
        return
    origin = f"{name}:{first.line}"
    try:
        setup = project_setup(first.value, origin)
    except BadLine as error:
        yield Rejection(origin, f"{error}; nothing was restored")
        return
    yield setup
    declared = _Declared(setup)
    for item in items:
        if isinstance(item, Rejection):
            yield item
            continue
        origin = f"{name}:{item.line}"
        try:
            yield document_record(item.value, origin, declared)
        except BadLine as error:
            yield Rejection(origin, str(error))


# -- the project line ---------------------------------------------------------------


def project_setup(header: Any, origin: str) -> ProjectSetup:
    if not isinstance(header, dict) or header.get("kind") != "project":
        raise BadLine(
            "the first line of a full export describes the project "
            '({"kind": "project", ...}); this file does not start with one'
        )
    if header.get("format") != FORMAT_NAME or header.get("version") != FORMAT_VERSION:
        raise BadLine(
            f"format {header.get('format')!r} version {header.get('version')!r} is not "
            f"{FORMAT_NAME!r} version {FORMAT_VERSION}"
        )
    settings = _dict(header.get("project"), "project")
    overlap = settings.get("overlap")
    if overlap is not None and (type(overlap) is not int or overlap < 1):
        raise BadLine(f"project: overlap must be a positive integer, not {overlap!r}")
    blind = settings.get("blind")
    return ProjectSetup(
        origin=origin,
        guidelines=_text(settings, "guidelines", "project"),
        overlap=overlap,
        blind=None if blind is None else bool(blind),
        labels=[_label(item) for item in _list(header.get("labels"), "labels")],
        entities=[_entity(item) for item in _list(header.get("entities"), "entities")],
        targets=[
            _target(item)
            for item in _list(header.get("stance_targets"), "stance_targets")
        ],
        sources=[_source(item) for item in _list(header.get("sources"), "sources")],
    )


def _label(item: dict[str, Any]) -> LabelRecord:
    name = _text(item, "name", f"label {item.get('name')!r}", required=True)
    where = f"label {name!r}"
    value, position = item.get("value"), item.get("position")
    for key, number in (("value", value), ("position", position)):
        if number is not None and type(number) is not int:
            raise BadLine(f"{where}: {key} must be a whole number, not {number!r}")
    return LabelRecord(
        kind=_text(item, "kind", where, required=True),
        name=name,
        colour=_text(item, "colour", where),
        shortcut=_text(item, "shortcut", where),
        value=value,
        description=_text(item, "description", where),
        position=position,
    )


def _entity(item: dict[str, Any]) -> EntityRecord:
    name = _text(item, "name", "entity", required=True)
    return EntityRecord(
        name=name,
        type=_text(item, "type", f"entity {name!r}"),
        aliases=tuple(a for a in item.get("aliases") or [] if isinstance(a, str)),
        external_id=_text(item, "external_id", f"entity {name!r}"),
    )


def _target(item: dict[str, Any]) -> TargetRecord:
    name = _text(item, "name", "stance target", required=True)
    return TargetRecord(
        name=name,
        description=_text(item, "description", f"target {name!r}"),
        entity=_text(item, "entity", f"target {name!r}"),
    )


def _source(item: dict[str, Any]) -> SourceRecord:
    name = _text(item, "name", "source", required=True)
    where = f"source {name!r}"
    reference = item.get("reference") or {}
    if not isinstance(reference, dict):
        raise BadLine(f"{where}: reference must be an object")
    return SourceRecord(
        name=name,
        aliases=tuple(a for a in item.get("aliases") or [] if isinstance(a, str)),
        domain=_text(item, "domain", where),
        factuality=_text(item, "factuality", where),
        bias=_text(item, "bias", where),
        reference=reference,
    )


class _Declared:
    """The names the project line declares: every reference in a document is one."""

    def __init__(self, setup: ProjectSetup) -> None:
        self.labels = {(label.kind, label.name) for label in setup.labels}
        self.targets = {target.name for target in setup.targets}
        self.entities = {entity.name for entity in setup.entities}

    def label(self, kind: str, name: Any, where: str) -> str:
        if not isinstance(name, str) or (kind, name) not in self.labels:
            raise BadLine(f"{where}: {kind} label {name!r} is not in the project line")
        return name


# -- document lines -----------------------------------------------------------------


def document_record(line: Any, origin: str, declared: _Declared) -> DocumentRecord:
    """The line's document and its versions, checked; the same content hash as any
    import."""
    if not isinstance(line, dict) or line.get("kind") != "document":
        raise BadLine('expected a document line ({"kind": "document", ...})')
    text = line.get("text")
    if not isinstance(text, str) or "\x00" in text:
        raise BadLine("'text' must be a string without NUL characters")
    fields = {key: _text(line, key, "document") for key in DOCUMENT_TEXT_FIELDS}
    fields["raw"] = fields["raw"] or text
    meta = line.get("meta") or {}
    if not isinstance(meta, dict):
        raise BadLine("'meta' must be an object")
    versions = [
        _version(item, text, declared)
        for item in _list(line.get("assignments") or [], "assignments")
    ]
    return DocumentRecord(
        text=text,
        origin=origin,
        publisher=_text(line, "publisher", "document"),
        published_at=_moment(line.get("published_at"), "published_at"),
        story_key=_text(line, "story_key", "document")[:64],
        meta=meta,
        versions=versions,
        **fields,
    )


def _version(item: dict[str, Any], text: str, declared: _Declared) -> VersionRecord:
    who = _text(item, "annotator", "assignment", required=True)
    is_gold = bool(item.get("is_gold"))
    where = "gold's assignment" if is_gold else f"{who}'s assignment"
    imported = who.startswith(IMPORTED_PREFIX)
    return VersionRecord(
        annotator=who.removeprefix(IMPORTED_PREFIX) if imported else who,
        imported=imported,
        is_gold=is_gold,
        status=_text(item, "status", where, required=True),
        review_state=_text(item, "review_state", where) or "pending",
        reviewer=_text(item, "reviewer", where),
        review_comment=_text(item, "review_comment", where),
        reviewed_at=_moment(item.get("reviewed_at"), "reviewed_at"),
        submitted_at=_moment(item.get("submitted_at"), "submitted_at"),
        spans=[
            _span(span, text, declared, where)
            for span in _list(item.get("spans") or [], "spans")
        ],
        classes=[
            _stance(stance, text, declared, where)
            for stance in _list(item.get("stances") or [], "stances")
        ],
        ratings=[
            _rating(rating, text, declared, where)
            for rating in _list(item.get("ratings") or [], "ratings")
        ],
    )


def _span(
    item: dict[str, Any], text: str, declared: _Declared, where: str
) -> SpanRecord:
    start, end, snapshot = item.get("start"), item.get("end"), item.get("text")
    if not isinstance(snapshot, str):
        raise BadLine(f"{where}: span {start}-{end} has no 'text' string")
    if problem := span_problem(text, start, end, snapshot=snapshot):
        raise BadLine(f"{where}: {problem}")
    entity = item.get("entity") or ""
    if entity and (not isinstance(entity, str) or entity not in declared.entities):
        raise BadLine(f"{where}: entity {entity!r} is not in the project line")
    return SpanRecord(
        start=start,
        end=end,
        label=declared.label("entity", item.get("label"), where),
        text=snapshot,
        entity=entity,
        origin=_text(item, "origin", where) or "manual",
    )


def _evidence(item: dict[str, Any], text: str, where: str) -> dict[str, Any]:
    start, end = item.get("evidence_start"), item.get("evidence_end")
    if start is None and end is None:
        return {"evidence_text": ""}
    if problem := span_problem(text, start, end, where=f"{where}, evidence"):
        raise BadLine(problem)
    return {
        "evidence_start": start,
        "evidence_end": end,
        "evidence_text": _text(item, "evidence_text", where) or text[start:end],
    }


def _stance(
    item: dict[str, Any], text: str, declared: _Declared, where: str
) -> ClassRecord:
    target = _text(item, "target", where, required=True)
    if target not in declared.targets:
        raise BadLine(f"{where}: stance target {target!r} unknown")
    return ClassRecord(
        label=declared.label("stance", item.get("label"), where),
        target=target,
        note=_text(item, "note", where),
        **_evidence(item, text, f"{where}, stance"),
    )


def _rating(
    item: dict[str, Any], text: str, declared: _Declared, where: str
) -> RatingRecord:
    return RatingRecord(
        source=_text(item, "source", where, required=True),
        role=_text(item, "role", where, required=True),
        label=declared.label("reliability", item.get("label"), where),
        rationale=_text(item, "rationale", where),
        **_evidence(item, text, f"{where}, rating"),
    )


# -- shapes -------------------------------------------------------------------------


def _dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadLine(f"{name!r} must be an object")
    return value


def _list(value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadLine(f"{name!r} must be a list of objects")
    return value


def _text(item: dict[str, Any], key: str, where: str, *, required=False) -> str:
    value = item.get(key) or ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadLine(f"{where}: {key!r} must be a non-empty string")
    if "\x00" in value:
        raise BadLine(f"{where}: {key!r} holds NUL characters")
    return value


def _moment(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise BadLine(f"{name} {value!r} is not an ISO 8601 date and time")
    return moment
