"""JSON values streamed from a file with the line each starts on, in constant memory.

Reads JSONL (one object a line), pretty-printed multi-line "JSONL", concatenated values
and top-level arrays of objects (whose elements become the records). A JSONL line is
parsed by the C decoder directly; anything else goes through a small bracket scanner
that finds where each value ends without holding more than that value in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from annotate.ingest.readers.files import TextLine, file_origin, iter_text_lines
from annotate.ingest.records import Rejection

MAX_PIECE_BYTES = 1024 * 1024
MAX_RECORD_CHARS = 64 * 1024 * 1024
NON_SPACE = re.compile(r"\S")
STRUCTURAL = re.compile(r'[{}\[\]"]')
IN_STRING = re.compile(r'["\\\n]')
ARRAY_TOKEN = re.compile(r"[^,\]\s]+")


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One top-level value (or top-level array element) and its source text."""

    line: int
    value: Any
    source: str


@dataclass(slots=True)
class _OpenValue:
    line: int
    column: int
    bad_lines: list[int]
    parts: list[str] = field(default_factory=list)
    size: int = 0
    depth: int = 0
    in_string: bool = False
    escape: bool = False
    oversized: bool = False


def iter_json(stream: BinaryIO, name: str) -> Iterator[JsonRecord | Rejection]:
    scanner = _Scanner(name)
    for line in iter_text_lines(stream, MAX_PIECE_BYTES):
        yield from scanner.feed(line)
    yield from scanner.finish()


def parse_json(source: str, origin: str) -> Any | Rejection:
    try:
        return json.loads(source)
    except json.JSONDecodeError as error:
        return Rejection(
            origin,
            f"invalid JSON: {error.msg} (line {error.lineno} column {error.colno} of the record)",
        )
    except RecursionError:
        return Rejection(origin, "the JSON is nested too deeply to read")


class _Scanner:
    def __init__(self, name: str) -> None:
        self.name = name
        self.open: _OpenValue | None = None
        self.in_array = False
        self.at_line_start = True
        self.resync_column: int | None = None
        self.line = 0
        self.line_valid = True
        self.segment_from = 0

    def feed(self, line: TextLine) -> Iterator[JsonRecord | Rejection]:
        text, starts_line = line.text, self.at_line_start
        self.line, self.line_valid, self.segment_from = line.number, line.valid_utf8, 0
        self.at_line_start = text.endswith("\n")
        if starts_line and self.resync_column is not None:
            # After a broken record, skip its remains up to the next record-like line.
            if not _starts_object_at(text, self.resync_column):
                return
            self.resync_column = None
        if starts_line and self._interrupted_by(text):
            yield self._drop_open(f"no closing bracket before line {line.number}")
        if self.open and not line.valid_utf8:
            self.open.bad_lines.append(line.number)
        pos = 0
        if starts_line and self.open is None:
            pos, item = self._whole_line(text)
            if item is not None:
                yield item
        while pos < len(text):
            step = self._continue if self.open else self._top_level
            pos, item = step(text, pos)
            if item is not None:
                yield item
        if self.open:
            self._keep(text[self.segment_from :])

    def _interrupted_by(self, text: str) -> bool:
        """A new object at the open one's indentation means the open one never closed."""
        value = self.open
        return bool(
            value and not value.in_string and _starts_object_at(text, value.column)
        )

    def finish(self) -> Iterator[Rejection]:
        if self.open:
            yield self._drop_open(
                "the file ends inside this record (missing brackets?)"
            )

    def _origin(self, line: int) -> str:
        return file_origin(self.name, line)

    def _whole_line(self, text: str) -> tuple[int, JsonRecord | Rejection | None]:
        """The fast path: a complete line that is one object, as in most JSONL."""
        found = NON_SPACE.search(text)
        if found is None or text[found.start()] != "{" or not text.endswith("\n"):
            return (found.start() if found else len(text)), None
        source = text[found.start() :].rstrip()
        if self.in_array:
            source = source.removesuffix(",")
        try:
            value = json.loads(source)
        except (json.JSONDecodeError, RecursionError):
            return found.start(), None
        if not self.line_valid:
            return len(text), self._bad_utf8(self.line, [self.line])
        return len(text), JsonRecord(self.line, value, source)

    def _top_level(
        self, text: str, pos: int
    ) -> tuple[int, JsonRecord | Rejection | None]:
        found = NON_SPACE.search(text, pos)
        if found is None:
            return len(text), None
        pos, char = found.start(), text[found.start()]
        if self.in_array and char == ",":
            return pos + 1, None
        if self.in_array and char == "]":
            self.in_array = False
            return pos + 1, None
        if char == "[" and not self.in_array:
            self.in_array = True
            return pos + 1, None
        if char in '{["':
            bad = [] if self.line_valid else [self.line]
            self.open = _OpenValue(self.line, pos, bad)
            self.segment_from = pos
            return pos, None
        if self.in_array:
            token = ARRAY_TOKEN.match(text, pos)
            end = token.end() if token else pos + 1
        else:
            end = len(text)
        source = text[pos:end].strip()
        value = parse_json(source, self._origin(self.line))
        if isinstance(value, Rejection):
            return end, value
        return end, JsonRecord(self.line, value, source)

    def _continue(
        self, text: str, pos: int
    ) -> tuple[int, JsonRecord | Rejection | None]:
        """Scan the open value for its end; returns where scanning stopped."""
        value = self.open
        assert value is not None
        while pos < len(text):
            if value.escape:
                value.escape, pos = False, pos + 1
                continue
            pattern = IN_STRING if value.in_string else STRUCTURAL
            found = pattern.search(text, pos)
            if found is None:
                return len(text), None
            char, pos = found.group(), found.end()
            if char == "\\":
                value.escape = True
            elif char == "\n":
                self.resync_column = value.column
                return len(text), self._drop_open(
                    f"invalid JSON: a string runs past the end of line {self.line}"
                )
            elif char == '"':
                value.in_string = not value.in_string
            elif char in "{[":
                value.depth += 1
            else:
                value.depth -= 1
            if not value.in_string and value.depth == 0:
                return pos, self._complete(text, pos)
        return pos, None

    def _complete(self, text: str, end: int) -> JsonRecord | Rejection:
        value = self.open
        assert value is not None
        self.open = None
        self._keep_into(value, text[self.segment_from : end])
        origin = self._origin(value.line)
        if value.oversized:
            return Rejection(
                origin, f"the record is larger than {MAX_RECORD_CHARS // 1024**2} MB"
            )
        if value.bad_lines:
            return self._bad_utf8(value.line, value.bad_lines)
        source = "".join(value.parts)
        parsed = parse_json(source, origin)
        if isinstance(parsed, Rejection):
            return parsed
        return JsonRecord(value.line, parsed, source)

    def _keep(self, text: str) -> None:
        assert self.open is not None
        self._keep_into(self.open, text)

    @staticmethod
    def _keep_into(value: _OpenValue, text: str) -> None:
        value.size += len(text)
        if value.size > MAX_RECORD_CHARS:
            # Keep scanning for its end so the records after it are still read.
            value.oversized, value.parts = True, []
        else:
            value.parts.append(text)

    def _drop_open(self, reason: str) -> Rejection:
        assert self.open is not None
        rejection = Rejection(self._origin(self.open.line), reason)
        self.open = None
        return rejection

    def _bad_utf8(self, line: int, bad_lines: list[int]) -> Rejection:
        return Rejection(
            self._origin(line), f"line {bad_lines[0]} is not valid UTF-8 text"
        )


def _starts_object_at(text: str, column: int) -> bool:
    stripped = text.lstrip(" \t")
    return stripped.startswith("{") and len(text) - len(stripped) <= column
