"""Restoring a project from its `full` export (annotate/exports/full.py writes it).

The first line of a file describes the project (labels, stance targets, entities,
sources); every other line is one document with every assignment and what hangs off
it. Things are matched by name, so a file restores into another project or another
installation. Users the file names and this installation lacks are created inactive,
without a password: a manager activates them and sets one.

Each chunk of documents is written in one transaction, and a document already in the
project (same content) is skipped, so an interrupted restore is completed by running
it again. A bad document line is rejected with FILE:LINE and the reason; the rest load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import batched
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils.dateparse import parse_datetime

from annotate.exports.full import FORMAT_NAME, FORMAT_VERSION
from annotate.ingest.files import open_inputs
from annotate.ingest.jsonstream import JsonRecord, iter_json
from annotate.ingest.loader import LoadCounts
from annotate.ingest.records import DocumentRecord, Rejection
from annotate.models import (
    Assignment,
    Document,
    Entity,
    Label,
    Membership,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)

CHUNK_SIZE = 200
STATUSES = set(Assignment.Status.values)
REVIEW_STATES = set(Assignment.ReviewState.values)
ORIGINS = set(Span.Origin.values)
ROLES = set(Rating.Role.values)
IMPORTED_PREFIX = "imported:"  # the loader's users for peer tools' annotations


class BadLine(ValueError):
    """A document line that cannot be restored; the message says what is wrong."""


@dataclass
class Names:
    """The project's labels, targets, entities and sources by name, and users by
    username: every reference in a document line is looked up here."""

    labels: dict[tuple[str, str], int]
    targets: dict[str, int]
    entities: dict[str, int]
    sources: dict[str, int]
    users: dict[str, Any]


def restore_paths(
    paths: Iterable[str],
    *,
    project: Project,
    counts: LoadCounts,
    on_progress: Callable[[LoadCounts], None],
) -> None:
    """Restore every `full` file under `paths` into `project`, counting into `counts`."""
    for item in open_inputs(paths):
        if isinstance(item, Rejection):
            counts.rejections.append(item)
            continue
        restore_lines(
            iter_json(item.stream, item.name), item.name, project, counts, on_progress
        )


def restore_lines(
    items: Iterator[JsonRecord | Rejection],
    name: str,
    project: Project,
    counts: LoadCounts,
    on_progress: Callable[[LoadCounts], None],
) -> None:
    first = next(items, None)
    if first is None:
        return
    if isinstance(first, Rejection):
        counts.rejections.append(first)
        return
    origin = f"{name}:{first.line}"
    try:
        names = restore_header(first.value, project)
    except BadLine as error:
        counts.rejections.append(Rejection(origin, f"{error}; nothing was restored"))
        return
    for chunk in batched(items, CHUNK_SIZE):
        lines = []
        for item in chunk:
            counts.read += 1
            if isinstance(item, Rejection):
                counts.rejections.append(item)
            else:
                lines.append(item)
        _restore_chunk(lines, name, project, names, counts)
        on_progress(counts)


# -- the project line ---------------------------------------------------------------


def restore_header(header: Any, project: Project) -> Names:
    """Apply the project line: settings (only to a project without documents, so a
    restore never changes a project in use), then labels, targets, entities, sources."""
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
    try:
        return _apply_header(header, project)
    except DatabaseError as error:
        raise BadLine(_first_line(error)) from error


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)


def _apply_header(header: dict[str, Any], project: Project) -> Names:
    with transaction.atomic():
        if not Document.objects.for_project(project).exists():
            _apply_settings(project, _dict(header.get("project"), "project"))
        labels = _restore_labels(project, _list(header.get("labels"), "labels"))
        entities = _restore_entities(
            project, _list(header.get("entities"), "entities"), labels
        )
        targets = _restore_targets(
            project, _list(header.get("stance_targets"), "stance_targets"), entities
        )
        sources = _restore_sources(_list(header.get("sources"), "sources"))
    return Names(labels, targets, entities, sources, users={})


def _dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadLine(f"{name!r} must be an object")
    return value


def _list(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadLine(f"{name!r} must be a list of objects")
    return value


def _choice(
    item: dict[str, Any], key: str, allowed: set[str], where: str, default=None
):
    value = item.get(key) or default
    if not isinstance(value, str) or value not in allowed:
        raise BadLine(
            f"{where}: {key} {value!r} is not one of {', '.join(sorted(allowed))}"
        )
    return value


def _text(item: dict[str, Any], key: str, where: str, *, required=False) -> str:
    value = item.get(key) or ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadLine(f"{where}: {key!r} must be a non-empty string")
    return value


def _apply_settings(project: Project, settings: dict[str, Any]) -> None:
    project.guidelines = _text(settings, "guidelines", "project")
    overlap = settings.get("overlap", project.overlap)
    if not isinstance(overlap, int) or overlap < 1:
        raise BadLine(f"project: overlap must be a positive integer, not {overlap!r}")
    project.overlap = overlap
    project.blind = bool(settings.get("blind", project.blind))
    project.save(update_fields=["guidelines", "overlap", "blind"])


def _restore_labels(
    project: Project, labels: list[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    for item in labels:
        kind = item.get("kind")
        name = _text(item, "name", f"label {item.get('name')!r}", required=True)
        if kind not in Label.Kind.values:
            raise BadLine(f"label {name!r}: unknown kind {kind!r}")
        defaults = {
            field: item[field]
            for field in ("colour", "shortcut", "value", "description", "position")
            if field in item
        }
        label = Label.objects.filter(project=project, kind=kind, name=name).first()
        if label is None:
            shortcut = defaults.get("shortcut") or ""
            if (
                shortcut
                and Label.objects.filter(
                    project=project, kind=kind, shortcut=shortcut
                ).exists()
            ):
                defaults["shortcut"] = ""  # the key is taken here: no shortcut
            Label.objects.create(project=project, kind=kind, name=name, **defaults)
    return {
        (kind, name): pk
        for pk, kind, name in Label.objects.filter(project=project).values_list(
            "pk", "kind", "name"
        )
    }


def _restore_entities(
    project: Project,
    entities: list[dict[str, Any]],
    labels: dict[tuple[str, str], int],
) -> dict[str, int]:
    for item in entities:
        name = _text(item, "name", "entity", required=True)
        type_name = item.get("type")
        type_id = labels.get((Label.Kind.ENTITY, type_name)) if type_name else None
        if type_name and type_id is None:
            raise BadLine(f"entity {name!r}: its type {type_name!r} is not a label")
        entity = Entity.objects.filter(project=project, name__iexact=name).first()
        if entity is None:
            entity = Entity.objects.create(
                project=project,
                name=name,
                type_id=type_id,
                external_id=_text(item, "external_id", f"entity {name!r}"),
            )
        for alias in item.get("aliases") or []:
            if isinstance(alias, str):
                entity.add_alias(alias)
    return dict(
        Entity.objects.filter(project=project).values_list("name", "pk").order_by("pk")
    )


def _restore_targets(
    project: Project, targets: list[dict[str, Any]], entities: dict[str, int]
) -> dict[str, int]:
    for item in targets:
        name = _text(item, "name", "stance target", required=True)
        StanceTarget.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "description": _text(item, "description", f"target {name!r}"),
                "entity_id": entities.get(item.get("entity") or ""),
            },
        )
    return dict(StanceTarget.objects.filter(project=project).values_list("name", "pk"))


def _restore_sources(sources: list[dict[str, Any]]) -> dict[str, int]:
    found = {}
    for item in sources:
        name = _text(item, "name", "source", required=True)
        source = Source.objects.named(name)
        if source is None:
            source = Source.objects.create(
                name=name,
                domain=_text(item, "domain", f"source {name!r}"),
                factuality=_text(item, "factuality", f"source {name!r}"),
                bias=_text(item, "bias", f"source {name!r}"),
                reference=item.get("reference") or {},
            )
        aliases = [a for a in item.get("aliases") or [] if isinstance(a, str)]
        known = {source.name.casefold(), *(a.casefold() for a in source.aliases)}
        missing = [a for a in aliases if a.casefold() not in known]
        if missing:
            source.aliases = [*source.aliases, *missing]
            source.save(update_fields=["aliases"])
        found[name] = source.pk
    return found


# -- document lines -----------------------------------------------------------------


def _restore_chunk(
    lines: list[JsonRecord],
    name: str,
    project: Project,
    names: Names,
    counts: LoadCounts,
) -> None:
    prepared = []
    for line in lines:
        try:
            prepared.append((line, _document_of(line.value, f"{name}:{line.line}")))
        except BadLine as error:
            counts.rejections.append(Rejection(f"{name}:{line.line}", str(error)))
    with transaction.atomic():
        existing = set(
            Document.objects.for_project(project)
            .filter(content_hash__in=[d.content_hash for _, d in prepared])
            .values_list("content_hash", flat=True)
        )
        for line, document in prepared:
            if document.content_hash in existing:
                counts.duplicates += 1
                continue
            try:
                with transaction.atomic():
                    _restore_document(line.value, document, project, names)
            except DatabaseError as error:  # what the database's own checks refuse
                counts.rejections.append(Rejection(document.origin, _first_line(error)))
                continue
            except BadLine as error:
                counts.rejections.append(Rejection(document.origin, str(error)))
                continue
            existing.add(document.content_hash)
            counts.imported += 1


def _document_of(line: Any, origin: str) -> DocumentRecord:
    """The line's document fields, checked; the same content hash as any import."""
    if not isinstance(line, dict) or line.get("kind") != "document":
        raise BadLine('expected a document line ({"kind": "document", ...})')
    text = line.get("text")
    if not isinstance(text, str) or "\x00" in text:
        raise BadLine("'text' must be a string without NUL characters")
    fields = {
        key: _text(line, key, "document")
        for key in ("raw", "title", "external_id", "url", "byline", "language")
    }
    fields["raw"] = fields["raw"] or text
    meta = line.get("meta") or {}
    if not isinstance(meta, dict):
        raise BadLine("'meta' must be an object")
    return DocumentRecord(
        text=text,
        origin=origin,
        publisher=_text(line, "publisher", "document"),
        published_at=_moment(line.get("published_at"), "published_at"),
        story_key=_text(line, "story_key", "document")[:64],
        meta=meta,
        **fields,
    )


def _moment(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise BadLine(f"{name} {value!r} is not an ISO 8601 date and time")
    return moment


def _restore_document(
    line: dict[str, Any], record: DocumentRecord, project: Project, names: Names
) -> None:
    document = Document.objects.create(
        project=project,
        title=record.title,
        text=record.text,
        raw=record.raw,
        external_id=record.external_id,
        url=record.url,
        publisher_id=_source_of(record.publisher, names) if record.publisher else None,
        byline=record.byline,
        published_at=record.published_at,
        language=record.language,
        story_key=record.story_key,
        meta=record.meta,
        content_hash=record.content_hash,
    )
    slots = 0
    for item in _list(line.get("assignments") or [], "assignments"):
        assignment = _restore_assignment(item, document, project, names)
        if not (
            assignment.is_gold
            or assignment.status == Assignment.Status.SKIPPED
            or assignment.annotator.username.startswith(IMPORTED_PREFIX)
        ):
            slots += 1
    if slots:  # what the queue counts: taken, non-gold slots
        Document.objects.filter(pk=document.pk).update(
            assignment_count=F("assignment_count") + slots
        )


def _restore_assignment(
    item: dict[str, Any], document: Document, project: Project, names: Names
) -> Assignment:
    who = _text(item, "annotator", "assignment", required=True)
    status = _choice(item, "status", STATUSES, f"assignment of {who!r}")
    review_state = _choice(
        item, "review_state", REVIEW_STATES, f"assignment of {who!r}", "pending"
    )
    reviewer = _text(item, "reviewer", f"assignment of {who!r}")
    assignment = Assignment.objects.create(
        document=document,
        annotator=_user(who, project, names, Membership.Role.ANNOTATOR),
        is_gold=bool(item.get("is_gold")),
        status=status,
        review_state=review_state,
        reviewer=_user(reviewer, project, names, Membership.Role.REVIEWER)
        if reviewer
        else None,
        review_comment=_text(item, "review_comment", f"assignment of {who!r}"),
        reviewed_at=_moment(item.get("reviewed_at"), "reviewed_at"),
        submitted_at=_moment(item.get("submitted_at"), "submitted_at"),
    )
    where = f"{'gold' if assignment.is_gold else who}'s assignment"
    Span.objects.bulk_create(
        _spans(
            _list(item.get("spans") or [], "spans"), assignment, document, names, where
        )
    )
    Stance.objects.bulk_create(
        _stances(_list(item.get("stances") or [], "stances"), assignment, names, where)
    )
    Rating.objects.bulk_create(
        _ratings(_list(item.get("ratings") or [], "ratings"), assignment, names, where)
    )
    return assignment


def _user(username: str, project: Project, names: Names, role: str):
    """The user of that name; a new one is inactive and has no password. Real users
    (not the loader's imported:* ones) become members of the project if they were not."""
    if username not in names.users:
        user, created = get_user_model().objects.get_or_create(
            username=username[:150], defaults={"is_active": False}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not username.startswith(IMPORTED_PREFIX):
            Membership.objects.get_or_create(
                user=user, project=project, defaults={"role": role}
            )
        names.users[username] = user
    return names.users[username]


def _label_id(names: Names, kind: str, name: Any, where: str) -> int:
    label = names.labels.get((kind, name)) if isinstance(name, str) else None
    if label is None:
        raise BadLine(f"{where}: {kind} label {name!r} is not in the project line")
    return label


def _bounds(item: dict[str, Any], prefix: str, text: str, where: str):
    start, end = item.get(f"{prefix}start"), item.get(f"{prefix}end")
    if start is None and end is None:
        return None, None
    if not all(type(value) is int for value in (start, end)):
        raise BadLine(f"{where}: {prefix}start and {prefix}end must be integers")
    if not 0 <= start < end <= len(text):
        raise BadLine(
            f"{where}: {start}-{end} is outside the text of {len(text)} characters"
        )
    return start, end


def _spans(
    items: list[dict[str, Any]],
    assignment: Assignment,
    document: Document,
    names: Names,
    where: str,
) -> Iterator[Span]:
    for item in items:
        start, end = _bounds(item, "", document.text, f"{where}, span")
        if start is None or document.text[start:end] != item.get("text"):
            raise BadLine(
                f"{where}: span {start}-{end} does not match its text "
                f"{item.get('text')!r}"
            )
        entity = item.get("entity")
        if entity and (not isinstance(entity, str) or entity not in names.entities):
            raise BadLine(f"{where}: entity {entity!r} is not in the project line")
        origin = _choice(item, "origin", ORIGINS, where, Span.Origin.MANUAL)
        yield Span(
            assignment=assignment,
            start=start,
            end=end,
            text=item["text"],
            label_id=_label_id(names, Label.Kind.ENTITY, item.get("label"), where),
            entity_id=names.entities.get(entity) if entity else None,
            origin=origin,
        )


def _stances(
    items: list[dict[str, Any]], assignment: Assignment, names: Names, where: str
) -> Iterator[Stance]:
    text = assignment.document.text
    for item in items:
        target = names.targets.get(_text(item, "target", where, required=True))
        if target is None:
            raise BadLine(f"{where}: stance target {item.get('target')!r} unknown")
        start, end = _bounds(item, "evidence_", text, f"{where}, stance evidence")
        yield Stance(
            assignment=assignment,
            target_id=target,
            label_id=_label_id(names, Label.Kind.STANCE, item.get("label"), where),
            evidence_start=start,
            evidence_end=end,
            evidence_text=_text(item, "evidence_text", where),
            note=_text(item, "note", where),
        )


def _ratings(
    items: list[dict[str, Any]], assignment: Assignment, names: Names, where: str
) -> Iterator[Rating]:
    text = assignment.document.text
    for item in items:
        role = _choice(item, "role", ROLES, where)
        start, end = _bounds(item, "evidence_", text, f"{where}, rating evidence")
        yield Rating(
            assignment=assignment,
            source_id=_source_of(_text(item, "source", where, required=True), names),
            role=role,
            label_id=_label_id(names, Label.Kind.RELIABILITY, item.get("label"), where),
            evidence_start=start,
            evidence_end=end,
            evidence_text=_text(item, "evidence_text", where),
            rationale=_text(item, "rationale", where),
        )


def _source_of(name: str, names: Names) -> int:
    if name not in names.sources:
        source = Source.objects.named(name) or Source.objects.create(name=name)
        names.sources[name] = source.pk
    return names.sources[name]
