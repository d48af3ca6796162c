"""CSV and TSV files with a header row; columns are named like the JSONL fields."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from annotate.ingest.readers.files import TextLine, file_origin, iter_text_lines
from annotate.ingest.readers.jsonl import RecordProblem, record_from_object
from annotate.ingest.records import DocumentRecord, Rejection

MAX_FIELD_CHARS = 64 * 1024 * 1024
# Columns that hold structure, written as JSON inside the cell.
JSON_COLUMNS = ("meta", "spans", "label", "tags")


class _RowLines:
    """Feeds csv.reader line by line, remembering the lines of the row being read."""

    def __init__(self, lines: Iterable[TextLine]) -> None:
        self.lines = iter(lines)
        self.current: list[TextLine] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.current.append(line)
            yield line.text

    def take(self) -> list[TextLine]:
        taken, self.current = self.current, []
        return taken


def read(
    stream: BinaryIO, name: str, *, delimiter: str = ","
) -> Iterator[DocumentRecord | Rejection]:
    """One record per row; a quoted field may span lines (origin: where the row starts)."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    feed = _RowLines(iter_text_lines(stream, MAX_FIELD_CHARS))
    rows = csv.reader(feed, delimiter=delimiter)
    header = _header(rows, name)
    if isinstance(header, Rejection):
        yield header
        return
    feed.take()
    while True:
        try:
            row = next(rows, None)
        except csv.Error as error:
            lines = feed.take()
            line = lines[0].number if lines else 1
            yield Rejection(file_origin(name, line), f"malformed CSV: {error}")
            continue
        lines = feed.take()
        if row is None:
            return
        if row:
            yield _row_record(header, row, lines, name)


def _header(rows: Iterator[list[str]], name: str) -> list[str] | Rejection:
    try:
        header = next(rows, None)
    except csv.Error as error:
        return Rejection(file_origin(name), f"malformed CSV header: {error}")
    if not header:
        return Rejection(file_origin(name), "empty file")
    header = [column.strip().lower() for column in header]
    if "text" not in header and "html" not in header:
        return Rejection(
            file_origin(name),
            f"the header row has no 'text' column (it has: {', '.join(header)})",
        )
    return header


def _row_record(
    header: list[str], row: list[str], lines: list[TextLine], name: str
) -> DocumentRecord | Rejection:
    line = lines[0].number
    origin = file_origin(name, line)
    if bad := next((item.number for item in lines if not item.valid_utf8), None):
        return Rejection(origin, f"line {bad} is not valid UTF-8 text")
    if len(row) != len(header):
        return Rejection(
            origin, f"the row has {len(row)} fields but the header has {len(header)}"
        )
    try:
        return record_from_object(
            _fields(dict(zip(header, row, strict=True))),
            name=name,
            line=line,
            source="".join(item.text for item in lines),
            fmt="csv",
        )
    except RecordProblem as problem:
        return Rejection(origin, str(problem))


def _fields(row: dict[str, str]) -> dict[str, Any]:
    """Empty cells are absent; JSON columns are decoded; `tags` may be comma-separated."""
    fields: dict[str, Any] = {key: value for key, value in row.items() if value != ""}
    for column in JSON_COLUMNS:
        value = fields.get(column, "").strip()
        if value.startswith(("[", "{")):
            try:
                fields[column] = json.loads(value)
            except json.JSONDecodeError as error:
                raise RecordProblem(
                    f"column {column!r} is not valid JSON: {error.msg}"
                ) from None
    if isinstance(fields.get("tags"), str):
        fields["tags"] = [
            tag.strip() for tag in fields["tags"].split(",") if tag.strip()
        ]
    return fields
