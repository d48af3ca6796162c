"""The entry point of every import: paths in, DocumentRecords and Rejections out.

Bad input never raises from here: each problem becomes a Rejection with FILE:LINE.
Every article record of every format but `full` (a restore gives documents back as they
were) gets here what its file did not give: a title (titles.py) and a language
(language.py).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from annotate.fullformat import FORMAT_NAME
from annotate.ingest.readers import (
    csvfile,
    doccano,
    full,
    html,
    jsonl,
    labelstudio,
    plaintext,
    prodigy,
)
from annotate.ingest.readers.files import (
    BINARY_SNIFF_BYTES,
    ArchiveTooBig,
    InputFile,
    binary_problem,
    file_origin,
    open_inputs,
    peek_head,
)
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.readers.language import detect_language
from annotate.ingest.readers.titles import title_from_text
from annotate.ingest.records import DocumentRecord, ReadItem, Rejection

FORMATS = (
    "auto",
    "txt",
    "pagedump",
    "html",
    "jsonl",
    "csv",
    "doccano",
    "labelstudio",
    "prodigy",
    "full",
)
# newsapp's own `full` export restores a project: read only when named, never sniffed.
FULL = "full"
JSON_SNIFFED = "json"  # .json/.jsonl in auto mode: the first object decides
SNIFF_ITEMS = 100
FORMAT_BY_SUFFIX = {
    ".txt": "pagedump",
    ".text": "pagedump",
    ".html": "html",
    ".htm": "html",
    ".jsonl": JSON_SNIFFED,
    ".ndjson": JSON_SNIFFED,
    ".json": JSON_SNIFFED,
    ".csv": "csv",
    ".tsv": "csv",
    ".conll": "doccano",
}
CONLL_SUFFIXES = (".conll", ".txt", ".text", ".tsv")
JSON_READERS = {
    "jsonl": jsonl.read_json,
    "doccano": doccano.read_json,
    "labelstudio": labelstudio.read_json,
    "prodigy": prodigy.read_json,
}
# Streams that fail part-way (a truncated .gz, a damaged zip member) raise these.
READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


def read_paths(
    paths: Iterable[str | Path], *, format: str = "auto"
) -> Iterator[ReadItem]:
    """Every record of every file under `paths`, in order; `format` is one of FORMATS."""
    if format not in FORMATS:
        raise ValueError(
            f"unknown format {format!r}; choose one of {', '.join(FORMATS)}"
        )
    for item in open_inputs(paths):
        if isinstance(item, Rejection):
            yield item
        else:
            yield from read_file(item, format)


def read_file(item: InputFile, format: str) -> Iterator[ReadItem]:
    last_line, head = 1, b""
    produced = False
    try:
        head, stream = peek_head(item.stream)
        if len(head) < BINARY_SNIFF_BYTES and not head.strip():
            yield Rejection(file_origin(item.name), "empty file")
            return
        if problem := binary_problem(head):
            yield Rejection(file_origin(item.name), problem)
            return
        for record in _read(item, stream, format):
            produced = True
            last_line = int(record.origin.rsplit(":", 1)[1])
            yield record
    except ArchiveTooBig as error:
        yield Rejection(file_origin(item.name, last_line), str(error))
        return
    except READ_ERRORS as error:
        yield Rejection(
            file_origin(item.name, last_line),
            f"the file could not be read to the end: {error}",
        )
        return
    if not produced:
        yield Rejection(file_origin(item.name), "no records found in the file")


def _read(item: InputFile, stream: BinaryIO, format: str) -> Iterator[ReadItem]:
    records = _records(item, stream, format)
    return records if format == FULL else completed(records)


def _records(item: InputFile, stream: BinaryIO, format: str) -> Iterator[ReadItem]:
    suffix = PurePosixPath(item.format_name).suffix.lower()
    fmt = FORMAT_BY_SUFFIX.get(suffix) if format == "auto" else format
    name = item.name
    if fmt is None:
        accepted = ", ".join(sorted(FORMAT_BY_SUFFIX))
        return iter([Rejection(file_origin(name), _unknown_type(suffix, accepted))])
    if fmt == "txt":
        return plaintext.read_txt(stream, name)
    if fmt == "pagedump":
        return plaintext.read_pagedump(stream, name)
    if fmt == "html":
        return html.read(stream, name)
    if fmt == "csv":
        return csvfile.read(stream, name, delimiter="\t" if suffix == ".tsv" else ",")
    if fmt == "doccano" and suffix in CONLL_SUFFIXES:
        return doccano.read_conll(stream, name)
    items = iter_json(stream, name)
    if fmt == JSON_SNIFFED:
        fmt, items = _sniff_json(items)
    if fmt == FULL:
        if format != FULL:  # a restore changes the project: only when asked for
            return iter([Rejection(file_origin(name), FULL_NEEDS_FLAG)])
        return full.read(items, name)
    return JSON_READERS[fmt](items, name)


def completed(items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    """Article records with a title and a language where their file gave none."""
    for item in items:
        if isinstance(item, DocumentRecord):
            if not item.title.strip():
                item.title, captions = title_from_text(item.text)
                if captions:
                    known = item.meta.setdefault("captions", [])
                    if isinstance(known, list):
                        known.extend(c for c in captions if c not in known)
            if not item.language.strip():
                item.language = detect_language(item.text)
        yield item


def _unknown_type(suffix: str, accepted: str) -> str:
    kind = f"files ending {suffix!r}" if suffix else "files without an extension"
    return (
        f"{kind} are not read in auto mode; it reads {accepted} "
        f"(.gz and .zip of these), or name the format: {', '.join(FORMATS[1:])}"
    )


def _sniff_json(
    items: Iterator[JsonRecord | Rejection],
) -> tuple[str, Iterator[JsonRecord | Rejection]]:
    """The format the first object looks like, and the items with that one put back."""
    seen: list[JsonRecord | Rejection] = []
    for item in islice(items, SNIFF_ITEMS):
        seen.append(item)
        if isinstance(item, JsonRecord) and isinstance(item.value, dict):
            return json_format_of(item.value), chain(seen, items)
    return "jsonl", chain(seen, items)


FULL_NEEDS_FLAG = (
    "this is a newsapp full export, which restores a whole project: "
    "import it with --format full"
)


def json_format_of(obj: dict[str, Any]) -> str:
    if obj.get("kind") == "project" and obj.get("format") == FORMAT_NAME:
        return FULL
    if isinstance(obj.get("data"), dict) and "text" not in obj:
        return "labelstudio"
    if ("spans" in obj and "tokens" in obj) or "_input_hash" in obj or "answer" in obj:
        return "prodigy"
    if any(isinstance(obj.get(key), list) for key in ("label", "labels", "entities")):
        return "doccano"
    if "column_data" in obj:
        return "doccano"
    return "jsonl"
