"""Generic JSON records (JSONL, JSON arrays) -> DocumentRecord.

The field rules here (names, types, dates, spans, labels) are shared by the CSV reader
and the peer-tool readers, which rename their own keys to these first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from dateutil import parser as date_parser

from annotate.ingest.readers.files import file_origin
from annotate.ingest.readers.html import NO_TEXT, extract_article
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import ClassRecord, DocumentRecord, Rejection, SpanRecord
from annotate.offsets import span_problem

TYPE_NAMES = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
    list: "list",
    dict: "object",
    type(None): "null",
}
FIELD_KEYS = {
    "title": ("title",),
    "url": ("url",),
    "publisher": ("publisher", "source", "site"),
    "byline": ("byline", "author"),
    "language": ("language",),
    "story_key": ("story_key", "story"),
    "target": ("target",),
    "annotator": ("annotator",),
}
ID_KEYS = ("id", "external_id")
DATE_KEYS = ("published_at", "date")
KNOWN_KEYS = frozenset(
    {key for keys in FIELD_KEYS.values() for key in keys}
    | {*ID_KEYS, *DATE_KEYS, "text", "html", "meta", "tags", "spans", "label"}
)
HAS_YEAR = re.compile(r"\d{4}")

type RecordBuilder = Callable[[JsonRecord, str], DocumentRecord]


class RecordProblem(Exception):
    """Why one record cannot be imported; it becomes a Rejection at the record's origin."""


def type_name(value: object) -> str:
    return TYPE_NAMES.get(type(value), type(value).__name__)


def import_meta(name: str, line: int, fmt: str) -> dict[str, Any]:
    return {"file": name, "line": line, "format": fmt}


def string_field(obj: dict[str, Any], *keys: str) -> str:
    """The first of `keys` that is present and not null; it must be a string."""
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise RecordProblem(
                f"field {key!r} must be a string, got {type_name(value)}"
            )
        return value
    return ""


def identifier_field(obj: dict[str, Any]) -> str:
    for key in ID_KEYS:
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if value is not None:
            return string_field(obj, key)
    return ""


def date_field(obj: dict[str, Any]) -> datetime | None:
    """ISO 8601 or a common written date; a date without a zone is taken as UTC."""
    for key in DATE_KEYS:
        value = string_field(obj, key).strip()
        if value:
            return parse_date(value, key)
    return None


def parse_date(value: str, key: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    # dateutil fills a missing year from today, so a string without one is not a date.
    if parsed is None and HAS_YEAR.search(value):
        try:
            parsed = date_parser.parse(value)
        except (date_parser.ParserError, ValueError, OverflowError):
            parsed = None
    if parsed is None:
        raise RecordProblem(f"field {key!r} is not a date: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def checked_span(
    text: str,
    start: object,
    end: object,
    label: object,
    *,
    expected: object = None,
    entity: str = "",
) -> SpanRecord:
    """A span whose offsets fit the text and, when the source gave one, its text."""
    if not isinstance(label, str) or not label.strip():
        raise RecordProblem(f"span {start}-{end} has no label")
    if expected is not None and not isinstance(expected, str):
        raise RecordProblem(f"span {start}-{end}: 'text' must be a string")
    where = f"span {start}-{end} {label!r}"
    if problem := span_problem(text, start, end, snapshot=expected, where=where):
        raise RecordProblem(problem)
    assert isinstance(start, int) and isinstance(end, int)
    return SpanRecord(start, end, label, text[start:end], entity)


def span_from_item(text: str, item: object) -> SpanRecord:
    """[start, end, label] (doccano) or {start|start_offset, end|end_offset, label, ...}."""
    if isinstance(item, list):
        if len(item) != 3:
            raise RecordProblem(f"label {item!r} is not [start, end, label]")
        return checked_span(text, *item)
    if not isinstance(item, dict):
        raise RecordProblem(f"span {item!r} is not an object or [start, end, label]")
    start = item["start"] if "start" in item else item.get("start_offset")
    end = item["end"] if "end" in item else item.get("end_offset")
    entity = item.get("entity") or ""
    if not isinstance(entity, str):
        raise RecordProblem(f"span {start}-{end}: 'entity' must be a string")
    return checked_span(
        text, start, end, item.get("label"), expected=item.get("text"), entity=entity
    )


def spans_and_classes(
    text: str, items: object, key: str, target: str = ""
) -> tuple[list[SpanRecord], list[ClassRecord]]:
    """Spans from offset items, document classes from plain strings; repeats collapse."""
    if items is None:
        return [], []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise RecordProblem(f"field {key!r} must be a list, got {type_name(items)}")
    spans: dict[SpanRecord, None] = {}
    classes: dict[ClassRecord, None] = {}
    for item in items:
        if isinstance(item, str):
            classes[ClassRecord(item, target)] = None
        else:
            spans[span_from_item(text, item)] = None
    return list(spans), list(classes)


def meta_field(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("meta")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise RecordProblem(f"field 'meta' must be an object, got {type_name(meta)}")
    return dict(meta)


def tags_field(obj: dict[str, Any]) -> list[str]:
    tags = obj.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise RecordProblem("field 'tags' must be a list of strings")
    return tags


def text_field(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The text to label and, for an `html` record, what the page itself says."""
    if obj.get("text") is None and obj.get("html") is not None:
        article = extract_article(string_field(obj, "html"), string_field(obj, "url"))
        if article is None:
            raise RecordProblem(NO_TEXT)
        found = {
            "title": article.title,
            "byline": article.byline,
            "publisher": article.publisher,
            "url": article.url,
            "language": article.language,
            "published_at": article.published_at,
        }
        return article.text, {"html": article.meta, **found}
    if "text" not in obj:
        raise RecordProblem("the record has no 'text'")
    text = string_field(obj, "text")
    if not text.strip():
        raise RecordProblem("field 'text' is empty")
    return text, {}


def record_from_object(
    obj: object, *, name: str, line: int, source: str, fmt: str, annotator: str = ""
) -> DocumentRecord:
    """One generic record; unknown keys are kept in meta. Raises RecordProblem."""
    if not isinstance(obj, dict):
        raise RecordProblem(f"expected a JSON object, got {type_name(obj)}")
    text, page = text_field(obj)
    fields = {field: string_field(obj, *keys) for field, keys in FIELD_KEYS.items()}
    target = fields.pop("target")
    spans, span_classes = spans_and_classes(text, obj.get("spans"), "spans", target)
    label_spans, classes = spans_and_classes(text, obj.get("label"), "label", target)
    meta = {key: value for key, value in obj.items() if key not in KNOWN_KEYS}
    meta.update(meta_field(obj))
    if tags := tags_field(obj):
        meta["tags"] = tags
    published_at = date_field(obj)
    if page:
        meta["html"] = page.pop("html")
        published_at = published_at or page.pop("published_at")
        fields = {
            field: value or page.get(field, "") for field, value in fields.items()
        }
    meta["import"] = import_meta(name, line, fmt)
    return DocumentRecord(
        text=text,
        raw=source,
        origin=file_origin(name, line),
        external_id=identifier_field(obj),
        published_at=published_at,
        meta=meta,
        spans=list(dict.fromkeys(spans + label_spans)),
        classes=list(dict.fromkeys(span_classes + classes)),
        annotator=fields.pop("annotator") or annotator,
        **fields,
    )


def read_records(
    items: Iterable[JsonRecord | Rejection], name: str, build: RecordBuilder
) -> Iterator[DocumentRecord | Rejection]:
    """Build a record from each JSON value; a RecordProblem rejects that value only."""
    for item in items:
        if isinstance(item, Rejection):
            yield item
            continue
        try:
            yield build(item, name)
        except RecordProblem as problem:
            yield Rejection(file_origin(name, item.line), str(problem))


def build_generic(item: JsonRecord, name: str) -> DocumentRecord:
    return record_from_object(
        item.value, name=name, line=item.line, source=item.source, fmt="jsonl"
    )


def read_json(
    items: Iterable[JsonRecord | Rejection], name: str
) -> Iterator[DocumentRecord | Rejection]:
    return read_records(items, name, build_generic)


def read(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    return read_json(iter_json(stream, name), name)
