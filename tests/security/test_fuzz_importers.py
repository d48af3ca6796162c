"""Property-based tests of every input format of annotate.ingest.readers.read_paths:
whatever the bytes, nothing raises, every rejection says where and why, and every
valid record comes out, in order. Then a few examples through the loader."""

from __future__ import annotations

import gzip
import io
import json
import re
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.ingest.load import import_paths
from annotate.ingest.readers import FORMATS, read_paths
from annotate.ingest.records import DocumentRecord, Rejection
from annotate.models import Document, Project, Span

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUFFIXES = (".txt", ".html", ".jsonl", ".json", ".csv", ".tsv", ".conll", ".md", "")
ORIGIN = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")

# Valid JSONL content: words, punctuation, non-BMP characters; never blank.
WORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip())
# Garbage lines that cannot open a JSON value spanning lines, nor be one.
GARBAGE = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc", "Zl", "Zp"),
        exclude_characters='{}[]"',
    ),
    min_size=1,
    max_size=60,
).filter(lambda line: line.strip() and not _is_json(line))


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def read(path: Path, **options) -> list:
    return list(read_paths([path], **options))


def assert_well_formed(items: list, path: Path) -> None:
    """Each item is a record or a rejection that names its file (and line) and why."""
    for item in items:
        assert isinstance(item, DocumentRecord | Rejection), item
        match = ORIGIN.match(item.origin)
        assert match, f"origin {item.origin!r} is not FILE:LINE"
        assert match["file"].startswith(str(path)), item.origin
        if isinstance(item, Rejection):
            assert item.reason.strip(), item


@pytest.mark.parametrize("suffix", SUFFIXES)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_it_never_raises_on_random_bytes(suffix, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        items = read(path)
    assert items, "an empty answer: the file vanished without a rejection"
    assert_well_formed(items, path)


@pytest.mark.parametrize("format", [f for f in FORMATS if f != "auto"])
@FUZZ
@given(data=st.binary(max_size=2000))
def test_it_never_raises_on_random_bytes_in_any_named_format(format, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.dat"
        path.write_bytes(data)
        items = read(path, format=format)
    assert items
    assert_well_formed(items, path)


@FUZZ
@given(
    records=st.lists(st.tuples(WORD, WORD), min_size=1, max_size=8),
    garbage=st.lists(GARBAGE, max_size=8),
    seed=st.randoms(use_true_random=False),
    ascii_only=st.booleans(),
)
def test_it_keeps_every_valid_jsonl_record_between_garbage_lines(
    records, garbage, seed, ascii_only
):
    lines = [
        (True, json.dumps({"text": text, "title": title}, ensure_ascii=ascii_only))
        for text, title in records
    ] + [(False, line) for line in garbage]
    seed.shuffle(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mixed.jsonl"
        path.write_text("".join(line + "\n" for _, line in lines), encoding="utf-8")
        items = read(path)
    assert_well_formed(items, path)
    kept = [
        (item.text, item.title) for item in items if isinstance(item, DocumentRecord)
    ]
    assert kept == [
        (json.loads(line)["text"], json.loads(line)["title"])
        for valid, line in lines
        if valid
    ]
    rejected_lines = sorted(
        int(item.origin.rsplit(":", 1)[1])
        for item in items
        if isinstance(item, Rejection)
    )
    assert rejected_lines == [n for n, (valid, _) in enumerate(lines, 1) if not valid]


@FUZZ
@given(
    text=WORD,
    spans=st.lists(
        st.tuples(
            st.integers(-5, 60),
            st.integers(-5, 60),
            st.sampled_from(["PER", "", "X" * 200]),
        ),
        max_size=6,
    ),
)
def test_it_rejects_spans_out_of_range_with_the_records_line(text, spans):
    obj = {
        "text": text,
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spans.jsonl"
        path.write_text('{"text": "first"}\n' + json.dumps(obj) + "\n")
        items = read(path)
    assert_well_formed(items, path)
    assert isinstance(items[0], DocumentRecord)
    [second] = items[1:]
    if isinstance(second, DocumentRecord):
        for span in second.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert text[span.start : span.end] == span.text
    else:
        assert second.origin.endswith(":2")


@FUZZ
@given(
    cut=st.integers(min_value=1, max_value=400),
    suffix=st.sampled_from([".jsonl.gz", ".zip"]),
)
def test_it_reports_truncated_archives_instead_of_raising(cut, suffix):
    body = "".join(
        json.dumps({"text": f"article number {n}"}) + "\n" for n in range(40)
    )
    if suffix == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("a.jsonl", body)
        data = buffer.getvalue()
    else:
        data = gzip.compress(body.encode())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cut{suffix}"
        path.write_bytes(data[: max(1, len(data) - cut)])
        items = read(path)
    assert items
    assert_well_formed(items, path)


@FUZZ
@given(
    encoding=st.sampled_from(["latin-1", "cp1251", "utf-16", "shift_jis"]), text=WORD
)
def test_it_never_raises_on_other_encodings(encoding, text):
    for suffix in (".txt", ".jsonl", ".csv"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"enc{suffix}"
            content = (
                json.dumps({"text": text}, ensure_ascii=False) + "\n"
                if suffix == ".jsonl"
                else f"text\n{text}\n"
            )
            path.write_bytes(content.encode(encoding, errors="replace"))
            items = read(path)
        assert items
        assert_well_formed(items, path)


def test_it_rejects_deeply_nested_json_at_its_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"text": "ok"}\n'
        + "[" * 100_000
        + "]" * 100_000
        + "\n"
        + '{"text": "after"}\n'
    )
    items = read(path)
    assert_well_formed(items, path)
    assert [item.text for item in items if isinstance(item, DocumentRecord)] == [
        "ok",
        "after",
    ]


def test_it_reads_a_huge_line_without_raising(tmp_path):
    path = tmp_path / "huge.jsonl"
    path.write_text('{"text": "' + "x" * 3_000_000 + '"}\n{"text": "after"}\n')
    items = read(path)
    assert_well_formed(items, path)
    assert [len(item.text) for item in items if isinstance(item, DocumentRecord)] == [
        3_000_000,
        5,
    ]


# Through the loader


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    records=st.lists(st.tuples(WORD, st.booleans()), min_size=1, max_size=6),
    garbage=st.lists(GARBAGE, max_size=4),
)
def test_it_loads_whole_documents_only(records, garbage):
    # The database is not rolled back between examples: a project each.
    project, _ = Project.objects.get_or_create_with_labels(f"fuzz-{uuid.uuid4().hex}")
    lines = []
    for text, with_span in records:
        obj = {"text": text}
        if with_span:
            obj["spans"] = [{"start": 0, "end": len(text), "label": "NEW-LABEL"}]
        lines.append(json.dumps(obj))
    lines += garbage
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.jsonl"
        path.write_text("\n".join(lines) + "\n")
        run = import_paths([path], project=project)
    assert run.rejected == len(garbage)
    first = {}
    for text, with_span in records:
        first.setdefault(text, with_span)
    documents = Document.objects.filter(project=project)
    assert sorted(documents.values_list("text", flat=True)) == sorted(first)
    for document in documents:
        spans = Span.objects.filter(assignment__document=document).count()
        assert spans == (1 if first[document.text] else 0), document.text
