"""The peer-tool readers (doccano, Label Studio, Prodigy) on the tools' own example files."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from annotate.ingest.readers import read_paths
from annotate.ingest.records import ClassRecord, DocumentRecord, Rejection

SHARED_DATA = Path(
    os.environ.get(
        "NEWSAPP_SHARED_DATA",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)
EXAMPLES = SHARED_DATA / "annotation-format-examples"
DOCCANO = EXAMPLES / "doccano" / "backend"
SEQUENCE_TESTS = DOCCANO / "data_import" / "tests" / "data" / "sequence_labeling"
LABEL_STUDIO = EXAMPLES / "label-studio"
EDITOR_NER = (
    LABEL_STUDIO
    / "label-studio"
    / "web"
    / "libs"
    / "editor"
    / "src"
    / "examples"
    / "named_entity"
)
SERVER_NER = (
    LABEL_STUDIO / "label-studio" / "label_studio" / "examples" / "text_named_entity"
)
PRODIGY = EXAMPLES / "prodigy" / "example-datasets"


@pytest.fixture(autouse=True)
def _needs_examples() -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(f"the annotation format examples are not at {EXAMPLES}")


def read(
    path: Path, format: str = "auto"
) -> tuple[list[DocumentRecord], list[Rejection]]:
    items = list(read_paths([path], format=format))
    documents = [item for item in items if isinstance(item, DocumentRecord)]
    return documents, [item for item in items if isinstance(item, Rejection)]


def triples(record: DocumentRecord) -> list[list]:
    return [[span.start, span.end, span.label] for span in record.spans]


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


# doccano


def test_it_reads_doccano_sequence_labels() -> None:
    path = (
        DOCCANO
        / "data_export"
        / "pipeline"
        / "examples"
        / "sequence_labeling"
        / "example.jsonl"
    )
    documents, rejections = read(path)
    assert not rejections
    assert [triples(d) for d in documents] == [
        json.loads(line)["label"] for line in path.read_text().splitlines()
    ]
    assert {d.annotator for d in documents} == {"doccano"}


def test_it_rejects_the_doccano_record_without_text_and_keeps_the_others() -> None:
    documents, rejections = read(SEQUENCE_TESTS / "example.jsonl")
    assert [(d.text, triples(d)) for d in documents] == [
        ("exampleA", [[0, 1, "LOC"]]),
        ("exampleB", []),
    ]
    assert [r.origin.rsplit("/", 1)[1] for r in rejections] == ["example.jsonl:3"]
    assert "no 'text'" in rejections[0].reason


def test_it_carries_doccano_meta() -> None:
    documents, _ = read(SEQUENCE_TESTS / "example.jsonl")
    assert [d.meta["wikiPageID"] for d in documents] == [1, 2]


def test_it_collapses_a_duplicate_doccano_span() -> None:
    documents, rejections = read(SEQUENCE_TESTS / "example_overlapping.jsonl")
    assert not rejections
    assert triples(documents[0]) == [[0, 1, "LOC"]]


def test_it_reads_pretty_printed_doccano_relation_entities() -> None:
    path = (
        DOCCANO
        / "data_export"
        / "pipeline"
        / "examples"
        / "relation_extraction"
        / "example.jsonl"
    )
    documents, rejections = read(path)
    assert not rejections
    [document] = documents
    assert document.origin.endswith("example.jsonl:1")
    assert [s.text for s in document.spans] == [
        "Google",
        "September 4, 1998",
        "Larry Page",
        "Sergey Brin",
    ]
    assert len(document.meta["relations"]) == 3


def test_it_reads_doccano_classification_labels_as_classes() -> None:
    documents, _ = read(
        DOCCANO
        / "data_import"
        / "tests"
        / "data"
        / "text_classification"
        / "example.jsonl"
    )
    assert [[c.label for c in d.classes] for d in documents] == [
        ["positive"],
        ["positive", "negative"],
        [],
    ]


def test_it_reads_doccano_placeholder_columns() -> None:
    path = (
        DOCCANO
        / "data_import"
        / "pipeline"
        / "examples"
        / "sequence_labeling"
        / "example.jsonl"
    )
    documents, rejections = read(path, "doccano")
    assert not rejections
    assert [(d.text, triples(d)) for d in documents][2] == (
        "President Obama",
        [[10, 15, "PERSON"]],
    )


def test_it_joins_conll_tokens_with_one_space() -> None:
    documents, rejections = read(SEQUENCE_TESTS / "example.conll")
    assert not rejections
    assert [(d.text, triples(d)) for d in documents] == [
        ("JAPAN GET", [[0, 5, "LOC"]]),
        ("Nadim Ladki", [[0, 11, "PER"]]),
    ]


def test_it_rejects_a_malformed_conll_line_and_keeps_the_other_sentences() -> None:
    documents, rejections = read(SEQUENCE_TESTS / "labeling.invalid.conll")
    assert [r.origin.rsplit("/", 1)[1] for r in rejections] == [
        "labeling.invalid.conll:1"
    ]
    assert "SOCCERO SOCCERO SOCCERO" in rejections[0].reason
    assert [d.text for d in documents] == [
        "Nadim Ladki",
        "AL-AIN , United Arab Emirates 1996-12-06",
    ]


def test_it_ignores_trailing_blank_lines_in_conll() -> None:
    documents, rejections = read(SEQUENCE_TESTS / "labeling.trailing.conll")
    assert not rejections
    assert len(documents) == 1


def test_it_reads_doccanos_whitespace_separated_conll_example_when_told() -> None:
    path = (
        DOCCANO
        / "data_import"
        / "pipeline"
        / "examples"
        / "sequence_labeling"
        / "example.txt"
    )
    documents, _ = read(path, "doccano")
    assert [[s.text for s in d.spans] for d in documents] == [
        ["EU", "German", "British"],
        ["Peter Blackburn"],
    ]


def test_it_reads_conll_2003_columns_and_skips_docstart(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "news.conll",
        "-DOCSTART- -X- -X- O\n\nUnited NNP I-NP B-LOC\nArab NNP I-NP I-LOC\nEmirates NNPS I-NP I-LOC\nwin VB I-VP O\n",
    )
    documents, rejections = read(path)
    assert not rejections
    assert [(d.text, triples(d)) for d in documents] == [
        ("United Arab Emirates win", [[0, 20, "LOC"]])
    ]


def test_it_rejects_a_doccano_span_outside_the_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "short", "label": [[0, 9, "ORG"]]}\n')
    _, [rejection] = read(path)
    assert rejection.origin == f"{path}:1"
    assert (
        "span 0-9 'ORG'" in rejection.reason and "outside the text" in rejection.reason
    )


def test_it_rejects_a_reversed_doccano_span(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "short", "label": [[3, 1, "ORG"]]}\n')
    _, [rejection] = read(path)
    assert "span 3-1" in rejection.reason


# Label Studio


def test_it_rejects_the_label_studio_off_by_one_span() -> None:
    documents, [rejection] = read(SERVER_NER / "tasks.json")
    assert not documents
    assert (
        rejection.reason
        == "span 343-353 'Date' 'February 2' does not match its text 'February 22'"
    )
    assert rejection.origin == f"{SERVER_NER / 'tasks.json'}:2"


def test_it_reads_label_studio_annotations_as_spans() -> None:
    [document], rejections = read(EDITOR_NER / "annotations" / "1.json")
    assert not rejections
    assert [(s.start, s.end, s.label, s.text) for s in document.spans] == [
        (343, 354, "Date", "February 22")
    ]
    assert document.external_id == "1"
    assert document.annotator == "labelstudio"


def test_it_keeps_label_studio_predictions_in_meta_not_as_spans() -> None:
    [document], _ = read(EDITOR_NER / "tasks.json")
    assert document.spans == []
    assert document.meta["predictions"] == [
        {"model_version": "model 1", "spans": [[343, 354, "Date"]], "classes": []}
    ]


def test_it_reads_label_studio_choices_with_escapes_and_cyrillic() -> None:
    path = (
        LABEL_STUDIO
        / "label-studio-converter"
        / "tests"
        / "data"
        / "test_export_csv"
        / "csv_test2.json"
    )
    [document], rejections = read(path)
    assert not rejections
    assert document.classes == [ClassRecord('Yes " "" \n \t \t а б в \n')]
    assert document.annotator == "labelstudio:test@heartex.com"
    assert document.external_id == "4"
    assert document.title == "TAN BAI"


def test_it_skips_cancelled_label_studio_annotations(tmp_path: Path) -> None:
    task = {
        "data": {"text": "Lavrov met Macron."},
        "annotations": [
            {"was_cancelled": True, "result": [_ls_label(0, 6, "Lavrov", "PERSON")]},
            {"completed_by": 7, "result": [_ls_label(11, 17, "Macron", "PERSON")]},
        ],
    }
    [document], _ = read(write(tmp_path, "tasks.json", json.dumps([task])))
    assert [s.text for s in document.spans] == ["Macron"]
    assert document.annotator == "labelstudio:7"


def test_it_reads_label_studio_offsets_counted_in_utf16(tmp_path: Path) -> None:
    text = "🔥 Lavrov spoke."
    task = {
        "data": {"text": text},
        "annotations": [{"result": [_ls_label(3, 9, "Lavrov", "PERSON")]}],
    }
    [document], rejections = read(write(tmp_path, "tasks.json", json.dumps([task])))
    assert not rejections
    assert [(s.start, s.end) for s in document.spans] == [(2, 8)]


def _ls_label(start: int, end: int, text: str, label: str) -> dict:
    value = {"start": start, "end": end, "text": text, "labels": [label]}
    return {"type": "labels", "from_name": "ner", "to_name": "text", "value": value}


# Prodigy


def test_it_reads_every_prodigy_ner_headline() -> None:
    documents, rejections = read(
        PRODIGY / "annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
    )
    assert not rejections
    assert len(documents) == 373
    assert Counter(s.label for d in documents for s in d.spans) == {
        "ORG": 136,
        "LOCATION": 121,
        "PERSON": 38,
        "PRODUCT": 8,
    }


def test_it_keeps_no_spans_from_an_ignored_prodigy_record(tmp_path: Path) -> None:
    line = {
        "text": "Apple sues",
        "spans": [{"start": 0, "end": 5, "label": "ORG"}],
        "answer": "ignore",
    }
    [document], _ = read(write(tmp_path, "a.jsonl", json.dumps(line) + "\n"))
    assert document.spans == []
    assert document.meta["prodigy_answer"] == "ignore"


def test_it_takes_prodigy_span_text_from_the_document() -> None:
    documents, _ = read(
        PRODIGY / "annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
    )
    assert [(s.text, s.label) for s in documents[0].spans] == [
        ("Uber", "ORG"),
        ("Silicon Valley", "LOCATION"),
    ]
    assert documents[0].publisher == "The New York Times"
    assert documents[0].annotator == "prodigy"


def test_it_reads_prodigy_textcat_accepts_as_classes() -> None:
    documents, _ = read(
        PRODIGY / "annotated_github-issues-DOCUMENTATION-textcat.first100.jsonl"
    )
    assert Counter(tuple(c.label for c in d.classes) for d in documents) == {
        ("DOCUMENTATION",): 34,
        (): 66,
    }
    assert Counter(d.meta.get("prodigy_answer") for d in documents) == {
        None: 34,
        "reject": 58,
        "ignore": 8,
    }


def test_it_reads_prodigy_input_as_plain_documents() -> None:
    documents, rejections = read(PRODIGY / "raw_news-headlines-nyt.jsonl")
    assert not rejections
    assert len(documents) == 200
    assert not any(
        d.spans or d.classes or "prodigy_answer" in d.meta for d in documents
    )
