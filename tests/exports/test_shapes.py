"""The JSONL export shapes, loaded by the tools people train with: spaCy (`spans`), the
`datasets` JSON loader (`bio`, `doccano`); and which annotations go out (gold, all,
majority)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from annotate.exports import export_lines, export_to_path
from annotate.exports.selection import ExportReport
from annotate.exports.spans import bio_tags
from annotate.models import (
    Entity,
)
from tests.annotated_world import LAVROV, work


def lines_of(project, format, **options) -> list[dict]:
    return list(export_lines(project, format, **options))


def test_majority_takes_what_more_than_half_agree_on(annotated):
    (first, second) = lines_of(annotated, "spans", selection="majority")
    assert [(s["text"], s["label"]) for s in first["spans"]] == [
        ("Sergey Lavrov", "PERSON"),
        ("Bamako", "GPE"),
    ]
    # One annotator on the second document: they are the whole majority.
    assert [s["text"] for s in second["spans"]] == ["Bamak", "Assimi Goïta"]
    (stance,) = lines_of(annotated, "stance", selection="majority")
    assert (stance["target"], stance["label"]) == ("Russia", "against")
    (rating,) = lines_of(annotated, "reliability", selection="majority")
    assert (rating["source"], rating["label"], rating["value"]) == (
        "Maliweb",
        "high",
        4,
    )


def test_all_gives_one_line_per_annotator_with_their_id(annotated):
    lines = lines_of(annotated, "doccano", selection="all")
    assert [line["annotator"] for line in lines] == ["a1", "a2", "a3", "a1"]
    assert all(isinstance(line["annotator_id"], int) for line in lines)
    a3 = lines[2]
    start = LAVROV.index("Monday")
    assert [start, start + 6, "MISC"] in a3["label"]


def test_gold_is_the_default_once_it_exists(annotated, reviewer):
    document = annotated.documents.get(title="Lavrov")
    work(annotated, document, reviewer, [("Reuters", "ORG")], gold=True)
    (line,) = lines_of(annotated, "spans")
    assert [s["text"] for s in line["spans"]] == ["Reuters"]
    assert "annotator" not in line


def test_without_gold_the_default_is_the_majority_and_it_says_so(annotated):
    report = ExportReport()
    lines = lines_of(annotated, "spans", report=report)
    assert report.selection == "majority"
    assert "no gold" in report.notices[0]
    assert len(lines) == 2


def test_spans_load_into_spacy_and_misaligned_ones_are_reported(annotated):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    report = ExportReport()
    lines = list(export_lines(annotated, "spans", selection="all", report=report))
    aligned = misaligned = 0
    for line in lines:
        doc = nlp.make_doc(line["text"])
        for span in line["spans"]:
            char_span = doc.char_span(span["start"], span["end"], label=span["label"])
            if char_span is None:
                misaligned += 1
            else:
                assert char_span.text == span["text"]
                aligned += 1
    assert (aligned, misaligned) == (8, 1)
    assert report.warning_count == 1
    assert report.warnings[0]["text"] == "Bamak"
    assert "ends inside a word" in report.warnings[0]["problem"]
    linked = [s for s in lines[0]["spans"] if s["entity"]]
    assert linked[0]["entity"] == Entity.objects.get(name="Sergey Lavrov").pk


def test_bio_is_iob2_and_loads_with_datasets(annotated, tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "bio.jsonl"
    export_to_path(annotated, "bio", path, selection="majority")
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert loaded.column_names[:3] == ["id", "tokens", "ner_tags"]
    first = loaded[0]
    tagged = [
        (token, tag)
        for token, tag in zip(first["tokens"], first["ner_tags"], strict=True)
        if tag != "O"
    ]
    assert tagged == [
        ("Sergey", "B-PERSON"),
        ("Lavrov", "I-PERSON"),
        ("Bamako", "B-GPE"),
    ]


def test_bio_keeps_the_outer_of_nested_spans():
    text = "The Bank of England said"
    spans = [(4, 20, "ORG", "Bank of England", None), (12, 20, "GPE", "England", None)]
    tokens, tags, left_out = bio_tags(text, spans)
    assert list(zip(tokens, tags, strict=True)) == [
        ("The", "O"),
        ("Bank", "B-ORG"),
        ("of", "I-ORG"),
        ("England", "I-ORG"),
        ("said", "O"),
    ]
    assert [span[2] for span in left_out] == ["GPE"]


def test_doccano_loads_with_datasets_and_matches_the_text(annotated, tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "doccano.jsonl"
    export_to_path(annotated, "doccano", path, selection="all")
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    for row in loaded:
        for start, end, name in row["label"]:
            assert row["text"][int(start) : int(end)]
            assert name in {"PERSON", "GPE", "LOC", "MISC"}


def test_stance_and_reliability_lines_carry_text_and_evidence(annotated):
    stances = lines_of(annotated, "stance", selection="all")
    assert [(s["annotator"], s["label"]) for s in stances] == [
        ("a1", "against"),
        ("a2", "against"),
        ("a3", "neutral"),
    ]
    assert stances[0]["text"] == LAVROV
    assert stances[0]["evidence"] == {"start": 0, "end": 13, "text": "Sergey Lavrov"}
    ratings = lines_of(annotated, "reliability", selection="all")
    assert {(r["role"], r["domain"], r["label"]) for r in ratings} == {
        ("publisher", "maliweb.net", "high"),
        ("publisher", "maliweb.net", "low"),
    }
    assert ratings[0]["rationale"] == "names its sources"


def test_the_command_writes_stdout_and_says_which_selection(annotated):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_annotations",
        "--project",
        annotated.slug,
        "--format",
        "stance",
        stdout=out,
        stderr=err,
    )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["label"] for line in lines] == ["against"]
    assert "--majority" in err.getvalue()


def test_the_export_docs_document_every_format():
    page = (Path(__file__).resolve().parents[2] / "docs" / "exports.md").read_text()
    from annotate.exports import EXPORTERS

    for format in EXPORTERS:
        assert f"`{format}`" in page, f"docs/exports.md does not document {format}"
