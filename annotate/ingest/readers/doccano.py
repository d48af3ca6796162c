"""doccano exports and imports: sequence labelling, relation extraction and
classification JSONL, and CoNLL (`token TAG` lines with IOB2 tags)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from annotate.ingest.readers.files import TextLine, file_origin, iter_text_lines
from annotate.ingest.readers.jsonl import (
    RecordProblem,
    import_meta,
    read_records,
    record_from_object,
)
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import DocumentRecord, Rejection, SpanRecord

ANNOTATOR = "doccano"
# doccano's upload dialog shows its configurable columns by these placeholder names;
# `labels` is the label column its classification tests use.
TEXT_COLUMNS = ("text", "column_data")
LABEL_COLUMNS = ("label", "column_label", "labels")
IOB_TAG = re.compile(r"^(?:O|[BIES]-\S+)$")
MAX_CONLL_LINE_BYTES = 64 * 1024


def build(item: JsonRecord, name: str) -> DocumentRecord:
    obj = item.value
    if isinstance(obj, dict):
        obj = dict(obj)
        for wanted, columns in (("text", TEXT_COLUMNS), ("label", LABEL_COLUMNS)):
            found = next((key for key in columns if key in obj), None)
            if found:
                obj[wanted] = obj.pop(found)
        if "entities" in obj:
            obj["spans"] = obj.pop("entities")
    return record_from_object(
        obj,
        name=name,
        line=item.line,
        source=item.source,
        fmt="doccano",
        annotator=ANNOTATOR,
    )


def read_json(
    items: Iterable[JsonRecord | Rejection], name: str
) -> Iterator[DocumentRecord | Rejection]:
    return read_records(items, name, build)


def read(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    return read_json(iter_json(stream, name), name)


def read_conll(stream: BinaryIO, name: str) -> Iterator[DocumentRecord | Rejection]:
    """One document per sentence; a malformed line rejects its sentence."""
    sentence: list[TextLine] = []
    for line in iter_text_lines(stream, MAX_CONLL_LINE_BYTES):
        stripped = line.text.strip()
        if stripped and not stripped.startswith("-DOCSTART-"):
            sentence.append(line)
        elif sentence:
            yield _sentence_record(sentence, name)
            sentence = []
    if sentence:
        yield _sentence_record(sentence, name)


def _sentence_record(lines: list[TextLine], name: str) -> DocumentRecord | Rejection:
    first = lines[0].number
    try:
        tagged = [_token_and_tag(line) for line in lines]
    except RecordProblem as problem:
        return Rejection(file_origin(name, first), str(problem))
    text = " ".join(token for token, _tag in tagged)
    return DocumentRecord(
        text=text,
        raw="".join(line.text for line in lines),
        origin=file_origin(name, first),
        meta={"import": import_meta(name, first, "doccano")},
        spans=_spans_from_tags(text, tagged),
        annotator=ANNOTATOR,
    )


def _token_and_tag(line: TextLine) -> tuple[str, str]:
    columns = line.text.split()
    if not line.valid_utf8:
        raise RecordProblem(f"line {line.number} is not valid UTF-8 text")
    if len(columns) < 2 or not IOB_TAG.match(columns[-1]):
        raise RecordProblem(
            f"line {line.number} is not 'token TAG' with an IOB2 tag: {line.text.strip()!r}"
        )
    # CoNLL-2003 puts POS and chunk columns between the token and the entity tag.
    return columns[0], columns[-1]


def _spans_from_tags(text: str, tagged: list[tuple[str, str]]) -> list[SpanRecord]:
    """B- starts a span, I-/E- of the same type extends it; an I- after O starts one."""
    spans: list[SpanRecord] = []
    open_span: tuple[str, int] | None = None  # label and start of the span being built
    open_end = position = 0
    for token, tag in tagged:
        start, end = position, position + len(token)
        position = end + 1
        prefix, _, label = tag.partition("-")
        if open_span and not (prefix in "IE" and label == open_span[0]):
            spans.append(_span(text, open_span, open_end))
            open_span = None
        if tag != "O":
            open_span = open_span or (label, start)
            open_end = end
    if open_span:
        spans.append(_span(text, open_span, open_end))
    return spans


def _span(text: str, opened: tuple[str, int], end: int) -> SpanRecord:
    label, start = opened
    return SpanRecord(start, end, label, text[start:end])
