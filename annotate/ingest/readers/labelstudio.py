"""Label Studio tasks (a JSON export or import list, or JSONL): text, labels, choices.

Annotations become imported spans and classes. Predictions are a model's guesses, not
anyone's labels, so they are checked like spans but kept in meta["predictions"].
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from annotate.ingest.readers.jsonl import (
    RecordProblem,
    checked_span,
    read_records,
    record_from_object,
)
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import ClassRecord, DocumentRecord, Rejection, SpanRecord

ANNOTATOR = "labelstudio"
KEPT_TASK_KEYS = ("project", "inner_id", "file_upload", "created_at", "updated_at")


def build(item: JsonRecord, name: str) -> DocumentRecord:
    task = item.value
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise RecordProblem("a Label Studio task needs a 'data' object")
    data = task["data"]
    text_key = _text_key(data)
    fields = {key: value for key, value in data.items() if key != text_key}
    record = record_from_object(
        {
            **{
                key: value
                for key, value in fields.items()
                if key not in ("spans", "label")
            },
            "text": data[text_key],
            "id": task.get("id"),
            "meta": task.get("meta"),
        },
        name=name,
        line=item.line,
        source=item.source,
        fmt="labelstudio",
    )
    annotations = [
        annotation
        for annotation in _list_of_objects(task, "annotations")
        if not annotation.get("was_cancelled")
    ]
    for annotation in annotations:
        spans, classes = _results(record.text, annotation)
        record.spans += spans
        record.classes += classes
    record.spans = list(dict.fromkeys(record.spans))
    record.classes = list(dict.fromkeys(record.classes))
    record.annotator = _annotator(annotations)
    record.meta |= _task_meta(task, record.text)
    return record


def _text_key(data: dict[str, Any]) -> str:
    if "text" in data:
        return "text"
    # Tasks whose text sits under another name ($content, $article, ...) in the config.
    for key, value in data.items():
        if isinstance(value, str):
            return key
    raise RecordProblem("the task's 'data' has no text")


def _list_of_objects(task: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = task.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RecordProblem(f"field {key!r} must be a list of objects")
    return items


def _results(
    text: str, annotation: dict[str, Any]
) -> tuple[list[SpanRecord], list[ClassRecord]]:
    spans: list[SpanRecord] = []
    classes: list[ClassRecord] = []
    for result in _list_of_objects(annotation, "result"):
        value = result.get("value")
        if not isinstance(value, dict):
            raise RecordProblem(f"result {result.get('id')!r} has no 'value' object")
        if result.get("type") == "labels":
            labels = value.get("labels") or [None]
            spans += [_span(text, value, label) for label in labels]
        elif result.get("type") == "choices":
            choices = value.get("choices") or []
            if not all(isinstance(choice, str) for choice in choices):
                raise RecordProblem(f"choices {choices!r} must be strings")
            classes += [ClassRecord(choice) for choice in choices]
    return spans, classes


def _span(text: str, value: dict[str, Any], label: object) -> SpanRecord:
    start, end, expected = value.get("start"), value.get("end"), value.get("text")
    try:
        return checked_span(text, start, end, label, expected=expected)
    except RecordProblem as problem:
        # Label Studio counts offsets in UTF-16 units, as JavaScript does: after an
        # emoji its offsets run ahead of Python's. Read them that way before giving up.
        offsets = _code_points_from_utf16(text, start, end)
        if offsets is None:
            raise
        try:
            return checked_span(text, *offsets, label, expected=expected)
        except RecordProblem:
            raise problem from None


def _code_points_from_utf16(
    text: str, start: object, end: object
) -> tuple[int, int] | None:
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
        return None
    utf16 = text.encode("utf-16-le", "surrogatepass")
    if len(utf16) == 2 * len(text):
        return None
    try:
        return (
            len(utf16[: 2 * start].decode("utf-16-le")),
            len(utf16[: 2 * end].decode("utf-16-le")),
        )
    except UnicodeDecodeError:
        return None


def _annotator(annotations: list[dict[str, Any]]) -> str:
    """`labelstudio:<email or id>` when one person made every kept annotation."""
    people = {_person(annotation.get("completed_by")) for annotation in annotations}
    if len(people) == 1 and (person := people.pop()):
        return f"{ANNOTATOR}:{person}"
    return ANNOTATOR


def _person(completed_by: object) -> str:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    if completed_by is None or isinstance(completed_by, bool):
        return ""
    return str(completed_by)


def _task_meta(task: dict[str, Any], text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if kept := {key: task[key] for key in KEPT_TASK_KEYS if key in task}:
        meta["labelstudio"] = kept
    predictions = []
    for prediction in _list_of_objects(task, "predictions"):
        spans, classes = _results(text, prediction)
        predictions.append(
            {
                "model_version": prediction.get("model_version", ""),
                "spans": [[s.start, s.end, s.label] for s in spans],
                "classes": [c.label for c in classes],
            }
        )
    if predictions:
        meta["predictions"] = predictions
    return meta


def read_json(
    items: Iterable[JsonRecord | Rejection], name: str
) -> Iterator[DocumentRecord | Rejection]:
    return read_records(items, name, build)


def read(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    return read_json(iter_json(stream, name), name)
