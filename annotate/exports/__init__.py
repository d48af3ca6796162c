"""Exports: one line generator per JSONL shape, one writer, files written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from annotate.exports.documents import document_lines
from annotate.models import Project

EXPORTERS: dict[str, Callable[..., Iterator[dict]]] = {
    "documents": document_lines,
}


class ExportError(Exception):
    """The export cannot be made as asked (unknown format, nothing to export...)."""


def export_lines(project: Project, format: str, **options) -> Iterator[dict]:
    if format not in EXPORTERS:
        raise ExportError(
            f"unknown format {format!r}; choose one of {', '.join(EXPORTERS)}"
        )
    return EXPORTERS[format](project, **options)


def write_jsonl(lines: Iterable[dict], out: TextIO) -> int:
    """Write one JSON object a line; returns how many."""
    count = 0
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def export_to_path(project: Project, format: str, path: str | Path, **options) -> int:
    """Write the export to `path` through a temporary file, so no partial file is ever left."""
    path = Path(path)
    lines = export_lines(project, format, **options)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            count = write_jsonl(lines, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
