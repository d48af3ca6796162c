"""Reading files into DocumentRecords: paths, archives, decoding, text, HTML, JSONL, CSV."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest

from annotate.ingest import pagedump
from annotate.ingest.pagedump import CleanedPage
from annotate.ingest.readers import files, read_paths
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import ClassRecord, DocumentRecord, Rejection

SHARED_DATA = Path(
    os.environ.get(
        "NEWSAPP_SHARED_DATA",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)
BENCHMARK = SHARED_DATA / "article-extraction-benchmark"
ARTICLE = (
    "<html lang='en'><head><title>Lavrov in Mali</title></head><body>"
    "<nav>Home | World | Sport</nav><article><h1>Lavrov in Mali</h1>"
    "<p>Sergey Lavrov arrived in Bamako on Monday for talks with the transitional "
    "government, the foreign ministry said in a statement.</p>"
    "<p>The visit is the first by a Russian foreign minister since the coup, and "
    "diplomats expect a new agreement on security cooperation.</p>"
    "</article><footer>Copyright 2024</footer></body></html>"
)


def read(
    *paths: Path | str, format: str = "auto"
) -> tuple[list[DocumentRecord], list[Rejection]]:
    items = list(read_paths(paths, format=format))
    documents = [item for item in items if isinstance(item, DocumentRecord)]
    return documents, [item for item in items if isinstance(item, Rejection)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


# Paths, folders and archives


def test_it_rejects_a_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    assert read(missing) == ([], [Rejection(f"{missing}:1", "no such file or folder")])


def test_it_reads_a_folder_recursively_in_order_skipping_hidden_files(
    tmp_path: Path,
) -> None:
    write(tmp_path, "b/2.jsonl", jsonl({"text": "two"}))
    write(tmp_path, "a.jsonl", jsonl({"text": "one"}))
    write(tmp_path, ".hidden.jsonl", jsonl({"text": "hidden"}))
    write(tmp_path, ".git/x.jsonl", jsonl({"text": "git"}))
    documents, rejections = read(tmp_path)
    assert not rejections
    assert [d.text for d in documents] == ["one", "two"]


def test_it_reads_zip_members_with_the_archive_path_in_their_origin(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("day1/news.jsonl", jsonl({"text": "one"}, {"text": "two"}))
        zf.writestr("day2/page.txt.gz", gzip.compress(b"ignored"))
    documents, rejections = read(archive, format="jsonl")
    assert [d.origin for d in documents[:2]] == [
        f"{archive}/day1/news.jsonl:1",
        f"{archive}/day1/news.jsonl:2",
    ]
    assert [r.origin for r in rejections] == [f"{archive}/day2/page.txt.gz:1"]


def test_it_refuses_a_zip_member_that_climbs_out(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../etc/cron.jsonl", jsonl({"text": "evil"}))
        zf.writestr("/abs.jsonl", jsonl({"text": "evil"}))
        zf.writestr("fine.jsonl", jsonl({"text": "fine"}))
    documents, rejections = read(archive)
    assert [d.text for d in documents] == ["fine"]
    assert len(rejections) == 2
    assert all("absolute or climbs out" in r.reason for r in rejections)


def test_it_refuses_a_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "RATIO_CHECK_FROM_BYTES", 1024 * 1024)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", b"\x00" * (4 * 1024 * 1024))
    [rejection] = read(archive)[1]
    assert rejection.origin == f"{archive}:1"
    assert "zip bomb" in rejection.reason


def test_it_refuses_an_archive_too_big_once_unpacked(tmp_path: Path, settings) -> None:
    settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES = 1000
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.jsonl", jsonl(*[{"text": "x" * 100}] * 20))
    [rejection] = read(archive)[1]
    assert "over the" in rejection.reason


def test_it_reads_a_gz_file_by_its_inner_name(tmp_path: Path) -> None:
    path = write(
        tmp_path, "news.jsonl.gz", gzip.compress(jsonl({"text": "one"}).encode())
    )
    [document], _ = read(path)
    assert document.text == "one"
    assert document.origin == f"{path}:1"


def test_it_reports_a_truncated_gz_file(tmp_path: Path) -> None:
    data = gzip.compress(
        jsonl(*[{"text": f"record {n}"} for n in range(20_000)]).encode()
    )
    path = write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    documents, rejections = read(path)
    assert documents
    assert "could not be read to the end" in rejections[-1].reason


# Decoding


def test_it_rejects_a_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert read(path, format="txt") == (
        [],
        [Rejection(f"{path}:1", "binary file, not text")],
    )


def test_it_decodes_a_latin1_text_file_and_notes_the_encoding(tmp_path: Path) -> None:
    text = "Le président a visité l'école élémentaire à Besançon; les élèves étaient très émus."
    path = write(tmp_path, "article.txt", (text + "\n").encode("latin-1"))
    [document], _ = read(path, format="txt")
    assert document.text == text
    assert document.meta["import"]["encoding"]


def test_it_reads_utf8_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.jsonl", b"\xef\xbb\xbf" + jsonl({"text": "caf\u00e9"}).encode()
    )
    [document], _ = read(path)
    assert document.text == "café"
    assert "encoding" not in document.meta["import"]


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.jsonl", "\n\n")
    assert read(path) == ([], [Rejection(f"{path}:1", "empty file")])


def test_it_rejects_an_unknown_extension_in_auto_mode(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.docx", "text")
    [rejection] = read(path)[1]
    assert rejection.origin == f"{path}:1"
    assert "'.docx'" in rejection.reason and ".jsonl" in rejection.reason


def test_it_refuses_a_document_over_the_size_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_DOCUMENT_BYTES", 100)
    path = write(tmp_path, "long.txt", "word " * 100)
    [rejection] = read(path, format="txt")[1]
    assert "larger than" in rejection.reason


# Plain text and page dumps


def test_it_reads_a_txt_file_verbatim_with_normalised_newlines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.txt", "Title line\r\n\r\n  Indented body.\r\nLast line.  \r\n\r\n"
    )
    [document], _ = read(path, format="txt")
    assert document.text == "Title line\n\n  Indented body.\nLast line."
    assert document.raw == "Title line\r\n\r\n  Indented body.\r\nLast line.  \r\n\r\n"
    assert document.meta["import"] == {"file": str(path), "line": 1, "format": "txt"}


def test_it_maps_a_cleaned_page_dump_onto_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaned = CleanedPage(
        text="Body.",
        title="Lavrov in Mali",
        byline="By A. Writer",
        publisher="Al Mayadeen English",
        source_credit="AFP",
        published_at=datetime(2024, 6, 3, 9, 30),
        tags=["Mali"],
    )
    monkeypatch.setattr(pagedump, "clean_page_dump", lambda dump: cleaned)
    path = write(tmp_path, "000_page.txt", "Menu\nLavrov in Mali\nBody.\nFooter\n")
    [document], _ = read(path)
    assert (document.text, document.title, document.byline, document.publisher) == (
        "Body.",
        "Lavrov in Mali",
        "By A. Writer",
        "Al Mayadeen English",
    )
    assert document.published_at == datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    assert document.raw == "Menu\nLavrov in Mali\nBody.\nFooter\n"
    assert document.meta["source_credit"] == "AFP"
    assert document.meta["import"]["format"] == "pagedump"


# HTML


def test_it_extracts_the_article_and_metadata_from_html(tmp_path: Path) -> None:
    path = write(tmp_path, "page.html", ARTICLE)
    [document], _ = read(path)
    assert document.title == "Lavrov in Mali"
    assert document.language == "en"
    assert "Sergey Lavrov arrived in Bamako" in document.text
    assert "\n\nThe visit is the first" in document.text
    assert "Copyright" not in document.text
    assert document.raw == ARTICLE


def test_it_rejects_html_without_article_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "empty.html",
        "<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>",
    )
    assert read(path) == (
        [],
        [Rejection(f"{path}:1", "no article text found in the HTML")],
    )


def _benchmark_pages(count: int) -> list[Path]:
    pages = sorted((BENCHMARK / "html").glob("*.html.gz"))
    if not pages:
        pytest.skip(f"the extraction benchmark is not at {BENCHMARK}")
    return pages[:count]


def test_it_reads_benchmark_pages_with_their_metadata() -> None:
    [document], rejections = read(_benchmark_pages(3)[2])
    assert not rejections
    assert document.title == "New SUVs and electric vehicles highlight L.A. Auto Show"
    assert document.publisher == "Connecticut Post"
    assert document.published_at == datetime(2019, 11, 20, tzinfo=UTC)
    assert "\n\n" in document.text


def test_it_keeps_the_extraction_quality_on_benchmark_pages() -> None:
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    found = expected = shared = 0
    for page in _benchmark_pages(10):
        [document], _ = read(page)
        predicted = _shingles(document.text)
        actual = _shingles(truth[page.name.split(".")[0]]["articleBody"])
        found, expected, shared = (
            found + len(predicted),
            expected + len(actual),
            shared + len(predicted & actual),
        )
    precision, recall = shared / found, shared / expected
    assert 2 * precision * recall / (precision + recall) >= 0.9


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = text.split()
    return {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}


# Generic JSONL


def test_it_reads_the_generic_jsonl_fields(tmp_path: Path) -> None:
    record = {
        "id": 17,
        "text": "Sergey Lavrov arrived in Bamako.",
        "title": "Lavrov in Mali",
        "url": "https://example.org/a",
        "source": "Al Mayadeen English",
        "author": "A. Writer",
        "date": "3 June 2024 09:30",
        "language": "en",
        "story": "lavrov-mali",
        "tags": ["Mali", "Russia"],
        "meta": {"desk": "world"},
        "section": "Africa",
        "spans": [{"start": 0, "end": 13, "label": "PERSON"}],
    }
    [document], _ = read(write(tmp_path, "a.jsonl", jsonl(record)))
    assert (document.external_id, document.title, document.url) == (
        "17",
        "Lavrov in Mali",
        "https://example.org/a",
    )
    assert (document.publisher, document.byline, document.language) == (
        "Al Mayadeen English",
        "A. Writer",
        "en",
    )
    assert document.story_key == "lavrov-mali"
    assert document.published_at == datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    assert [(s.text, s.label) for s in document.spans] == [("Sergey Lavrov", "PERSON")]
    assert {key: document.meta[key] for key in ("tags", "desk", "section")} == {
        "tags": ["Mali", "Russia"],
        "desk": "world",
        "section": "Africa",
    }
    assert document.raw == json.dumps(record)


def test_it_reads_a_stance_label_with_its_target(tmp_path: Path) -> None:
    line = {"text": "France must leave.", "target": "French presence", "label": "favor"}
    [document], _ = read(write(tmp_path, "a.jsonl", jsonl(line)))
    assert document.classes == [ClassRecord("favor", "French presence")]


def test_it_rejects_a_field_of_the_wrong_type(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.jsonl", jsonl({"text": "ok"}, {"text": "body", "title": 3})
    )
    documents, [rejection] = read(path)
    assert len(documents) == 1
    assert rejection == Rejection(
        f"{path}:2", "field 'title' must be a string, got int"
    )


def test_it_rejects_a_date_it_cannot_read_naming_field_and_value(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, "a.jsonl", jsonl({"text": "body", "published_at": "last Tuesday"})
    )
    [rejection] = read(path)[1]
    assert rejection.reason == "field 'published_at' is not a date: 'last Tuesday'"


def test_it_rejects_a_record_without_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", jsonl({"title": "no body"}, {"text": "   "}))
    reasons = [r.reason for r in read(path)[1]]
    assert reasons == ["the record has no 'text'", "field 'text' is empty"]


def test_it_reads_the_lines_around_a_bad_json_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.jsonl",
        '{"text": "one"}\n{"text": "two",}\nnot json\n{"text": "three"}\n',
    )
    documents, rejections = read(path)
    assert [d.text for d in documents] == ["one", "three"]
    assert [r.origin for r in rejections] == [f"{path}:2", f"{path}:3"]
    assert all(r.reason.startswith("invalid JSON: ") for r in rejections)


def test_it_resynchronises_after_a_line_missing_its_closing_brace(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "one"\n{"text": "two"}\n')
    documents, [rejection] = read(path)
    assert [d.text for d in documents] == ["two"]
    assert rejection.origin == f"{path}:1"


def test_it_rejects_deeply_nested_json(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.jsonl",
        '{"text": "deep", "x": '
        + "[" * 100_000
        + "]" * 100_000
        + "}\n"
        + jsonl({"text": "ok"}),
    )
    documents, [rejection] = read(path)
    assert [d.text for d in documents] == ["ok"]
    assert "nested too deeply" in rejection.reason


def test_it_rejects_a_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.jsonl", b'{"text": "caf\xe9"}\n' + jsonl({"text": "ok"}).encode()
    )
    documents, [rejection] = read(path)
    assert [d.text for d in documents] == ["ok"]
    assert rejection == Rejection(f"{path}:1", "line 1 is not valid UTF-8 text")


def test_it_reads_a_one_line_json_array(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", json.dumps([{"text": "one"}, {"text": "two"}]))
    documents, _ = read(path)
    assert [(d.text, d.raw) for d in documents] == [
        ("one", '{"text": "one"}'),
        ("two", '{"text": "two"}'),
    ]


def test_it_gives_each_element_of_a_pretty_printed_array_its_line(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, "a.json", json.dumps([{"text": "one"}, {"text": "two\n}"}], indent=2)
    )
    documents, _ = read(path)
    assert [(d.text, d.origin) for d in documents] == [
        ("one", f"{path}:2"),
        ("two\n}", f"{path}:5"),
    ]


def test_it_reads_html_records_in_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", jsonl({"html": ARTICLE, "id": "a1"}))
    [document], _ = read(path)
    assert document.title == "Lavrov in Mali"
    assert document.text.startswith("Lavrov in Mali\n\nSergey Lavrov")


def test_it_streams_json_without_reading_the_file_whole() -> None:
    stream = _EndlessStream(b'{"text": "again"}\n')
    items = list(islice(iter_json(stream, "endless.jsonl"), 3))
    assert [item.line for item in items if isinstance(item, JsonRecord)] == [1, 2, 3]


class _EndlessStream(io.RawIOBase):
    """A file that never ends: reading it whole would never return."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        start = self.position % len(self.line)
        data = (self.line * (len(buffer) // len(self.line) + 2))[
            start : start + len(buffer)
        ]
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


# CSV


def test_it_reads_csv_rows_with_the_generic_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        "id,text,Title,published_at,tags,meta,desk\n"
        '7,Body one,First,2024-06-03,"Mali, Russia","{""k"": 1}",world\n',
    )
    [document], _ = read(path)
    assert (document.external_id, document.text, document.title) == (
        "7",
        "Body one",
        "First",
    )
    assert document.published_at == datetime(2024, 6, 3, tzinfo=UTC)
    assert (document.meta["tags"], document.meta["k"], document.meta["desk"]) == (
        ["Mali", "Russia"],
        1,
        "world",
    )


def test_it_gives_a_multiline_csv_row_the_line_it_starts_on(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'text,title\n"one\n\ntwo lines",A\nthree,B\n')
    documents, _ = read(path)
    assert [(d.text, d.origin) for d in documents] == [
        ("one\n\ntwo lines", f"{path}:2"),
        ("three", f"{path}:5"),
    ]


def test_it_rejects_a_csv_without_a_text_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "body,title\nx,y\n")
    [rejection] = read(path)[1]
    assert rejection.origin == f"{path}:1"
    assert "no 'text' column" in rejection.reason and "body, title" in rejection.reason


def test_it_rejects_a_csv_row_with_too_many_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,title\nx,y,z\nok,fine\n")
    documents, [rejection] = read(path)
    assert [d.text for d in documents] == ["ok"]
    assert rejection == Rejection(
        f"{path}:2", "the row has 3 fields but the header has 2"
    )


def test_it_reads_tab_separated_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "text\ttitle\nA body, with a comma\tT\n")
    [document], _ = read(path)
    assert (document.text, document.title) == ("A body, with a comma", "T")


def test_it_reads_a_csv_field_larger_than_the_csv_default_limit(tmp_path: Path) -> None:
    body = "word " * 100_000
    path = write(tmp_path, "a.csv", f'text\n"{body}"\n')
    [document], _ = read(path)
    assert document.text == body
