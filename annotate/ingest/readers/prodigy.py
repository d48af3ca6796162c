"""Prodigy datasets (db-out JSONL): ner spans and textcat decisions.

Only an `accept` answer is a decision to keep; `reject` and `ignore` records arrive as
plain documents whose answer is noted in meta, so they never become training data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from annotate.ingest.readers.jsonl import read_records, record_from_object
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import DocumentRecord, Rejection

ANNOTATOR = "prodigy"
DROPPED_KEYS = ("tokens",)  # derivable from the text, and most of a record's size


def build(item: JsonRecord, name: str) -> DocumentRecord:
    obj = item.value
    annotator = ANNOTATOR
    noted: dict[str, Any] = {}
    if isinstance(obj, dict):
        obj = {key: value for key, value in obj.items() if key not in DROPPED_KEYS}
        answer = obj.pop("answer", None)
        if answer != "accept" and (answer or "spans" in obj or "label" in obj):
            noted["prodigy_answer"] = answer
            obj.pop("spans", None)
            if "label" in obj:
                noted["prodigy_label"] = obj.pop("label")
        _take_from_meta(obj)
        if isinstance(obj.get("_annotator_id"), str):
            annotator = f"{ANNOTATOR}:{obj['_annotator_id']}"
    record = record_from_object(
        obj,
        name=name,
        line=item.line,
        source=item.source,
        fmt="prodigy",
        annotator=annotator,
    )
    record.meta.update(noted)
    return record


def _take_from_meta(obj: dict[str, Any]) -> None:
    """Prodigy keeps the outlet and address in meta: they are the record's own fields."""
    meta = obj.get("meta")
    if not isinstance(meta, dict):
        return
    for meta_key, field in (("source", "publisher"), ("url", "url")):
        if isinstance(meta.get(meta_key), str) and obj.get(field) is None:
            obj[field] = meta[meta_key]


def read_json(
    items: Iterable[JsonRecord | Rejection], name: str
) -> Iterator[DocumentRecord | Rejection]:
    return read_records(items, name, build)


def read(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    return read_json(iter_json(stream, name), name)
