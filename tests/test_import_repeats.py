"""Real corpora repeat texts: datelines, "Scorers :" lines, table headers, the same body
under many headlines. Every way in (the command, the upload page, the full restore)
loads them through the one loader: one document per text, the annotations of every
repeat merged into it (a span given twice kept once), and the summary says so."""

from __future__ import annotations

import csv
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from annotate.ingest import load as loader
from annotate.models import Document, ImportRun, Span, Stance

pytestmark = pytest.mark.django_db


def conll(shared_data: Path) -> Path:
    return shared_data / "conll2003-ner" / "derived_spans.jsonl"


def conll_expected(path: Path) -> dict[str, int]:
    """What the file holds once its repeats are one: texts, spans, and the records
    whose annotations go into a document an earlier record made."""
    texts, spans, annotated_seen, merged = set(), set(), set(), 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts.add(record["text"])
        spans.update(
            (record["text"], e["start"], e["end"], e["label"])
            for e in record["entities"]
        )
        if record["entities"]:
            merged += record["text"] in annotated_seen
            annotated_seen.add(record["text"])
    return {"documents": len(texts), "spans": len(spans), "merged": merged}


def spans_of(slug: str) -> int:
    return Span.objects.filter(assignment__document__project__slug=slug).count()


def documents_of(slug: str) -> int:
    return Document.objects.filter(project__slug=slug).count()


def run_command(*paths: Path, project: str, **options) -> str:
    """The command's output (its summary line)."""
    out = StringIO()
    call_command(
        "import_documents",
        *map(str, paths),
        project=project,
        stdout=out,
        verbosity=1,
        **options,
    )
    return out.getvalue()


def test_the_command_loads_repeated_texts_as_one_document_with_merged_spans(
    shared_data,
):
    path = conll(shared_data)
    expected = conll_expected(path)
    assert expected["documents"] < 552  # the file does repeat texts

    output = run_command(path, project="conll")

    assert documents_of("conll") == expected["documents"]
    assert spans_of("conll") == expected["spans"]
    run = ImportRun.objects.get()
    assert (run.read, run.imported, run.merged) == (
        552,
        expected["documents"],
        expected["merged"],
    )
    assert f"({expected['merged']} with annotations merged)" in output


@pytest.mark.parametrize("batch_size", [5])
def test_repeats_across_batches_are_merged_the_same(
    shared_data, monkeypatch, batch_size
):
    monkeypatch.setattr(loader, "BATCH_SIZE", batch_size)
    path = conll(shared_data)
    expected = conll_expected(path)

    run_command(path, project="conll")

    assert documents_of("conll") == expected["documents"]
    assert spans_of("conll") == expected["spans"]
    assert ImportRun.objects.get().merged == expected["merged"]


def test_repeats_across_two_files_and_a_second_import_add_nothing(
    shared_data, tmp_path
):
    path = conll(shared_data)
    expected = conll_expected(path)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    shutil.copy(path, first)
    shutil.copy(path, second)

    output = run_command(first, second, project="conll")
    assert documents_of("conll") == expected["documents"]
    assert spans_of("conll") == expected["spans"]
    assert "1104 read" in output

    again = run_command(path, project="conll")
    assert documents_of("conll") == expected["documents"]
    assert spans_of("conll") == expected["spans"]
    assert "552 read, 0 imported, 552 duplicates" in again


def fnc_stances_csv(shared_data: Path, out: Path) -> Path:
    """FNC-1 as one row per (body, headline, stance): each body repeats once per
    headline, and 52 rows repeat an earlier (headline, body) pair outright."""
    folder = shared_data / "fnc1-stance"
    with (folder / "competition_test_bodies.first300.csv").open(encoding="utf-8") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    stances = folder / "competition_test_stances.for_first300_bodies.csv"
    with stances.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
        writer = csv.writer(w)
        writer.writerow(["id", "text", "target", "label"])
        for row in csv.DictReader(f):
            writer.writerow(
                [row["Body ID"], bodies[row["Body ID"]], row["Headline"], row["Stance"]]
            )
    return out


def test_stance_rows_repeating_a_body_give_one_document_per_body(shared_data, tmp_path):
    path = fnc_stances_csv(shared_data, tmp_path / "fnc.csv")

    output = run_command(path, project="fnc")

    assert documents_of("fnc") == 300
    # 6,777 rows less the 52 that repeat an earlier (headline, body) pair.
    assert Stance.objects.filter(assignment__document__project__slug="fnc").count() == (
        6725
    )
    assert (
        "6777 read, 300 imported, 6477 duplicates (6477 with annotations merged)"
        in (output)
    )


def test_the_upload_loads_repeats_the_same_and_its_page_says_so(
    shared_data, manager_client, project, django_capture_on_commit_callbacks
):
    path = conll(shared_data)
    expected = conll_expected(path)
    upload = SimpleUploadedFile("conll.jsonl", path.read_bytes(), "application/json")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("annotate:import", args=[project.slug]),
            {"file": upload, "format": "auto"},
        )

    run = ImportRun.objects.get()
    assert (run.status, run.imported, run.merged) == (
        "done",
        expected["documents"],
        expected["merged"],
    )
    assert documents_of(project.slug) == expected["documents"]
    assert spans_of(project.slug) == expected["spans"]
    page = manager_client.get(response["Location"])
    assert f"({expected['merged']} with annotations merged)" in page.content.decode()


def test_a_full_restore_with_repeated_documents_merges_them(shared_data, tmp_path):
    path = conll(shared_data)
    expected = conll_expected(path)
    run_command(path, project="conll")
    export = tmp_path / "full.jsonl"
    call_command(
        "export_annotations",
        "--project",
        "conll",
        "--format",
        "full",
        "-o",
        str(export),
        verbosity=0,
    )
    header, *lines = export.read_text(encoding="utf-8").splitlines()
    twice = tmp_path / "twice.jsonl"
    twice.write_text("\n".join([header, *lines, *lines]) + "\n", encoding="utf-8")

    output = run_command(twice, project="restored", format="full")
    assert documents_of("restored") == expected["documents"]
    assert spans_of("restored") == expected["spans"]
    annotated = Document.objects.filter(
        project__slug="conll", assignments__isnull=False
    ).distinct()
    assert f"({annotated.count()} with annotations merged)" in output

    # Restored again, from two files: nothing new, nothing lost.
    run_command(export, twice, project="restored", format="full")
    assert documents_of("restored") == expected["documents"]
    assert spans_of("restored") == expected["spans"]


def test_an_uploaded_full_restore_with_repeats_merges_them(
    shared_data, tmp_path, manager_client, project, django_capture_on_commit_callbacks
):
    run_command(conll(shared_data), project="conll")
    export = tmp_path / "full.jsonl"
    call_command(
        "export_annotations", "--project", "conll", "--format", "full",
        "-o", str(export), verbosity=0,
    )  # fmt: skip
    header, *lines = export.read_text(encoding="utf-8").splitlines()
    body = "\n".join([header, *lines, *lines[:100]]) + "\n"
    upload = SimpleUploadedFile("restore.jsonl", body.encode(), "application/json")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("annotate:import", args=[project.slug]),
            {"file": upload, "format": "full"},
        )

    run = ImportRun.objects.latest("pk")
    assert run.status == "done"
    assert documents_of(project.slug) == documents_of("conll")
    assert spans_of(project.slug) == spans_of("conll")
    assert run.merged > 0
    assert "with annotations merged" in manager_client.get(response["Location"]).text


def crossed_repeats(folder: Path, pairs: int) -> tuple[Path, Path]:
    """Two texts that come back in the other order (X, Y, Y, X): with batches of two on
    two connections, each batch holds the texts the other is writing."""
    plain, annotated = folder / "plain.jsonl", folder / "crossed.jsonl"
    with plain.open("w") as p, annotated.open("w") as a:
        for n in range(pairs):
            x = {"text": f"BAMAKO {n} 1996-12-06 .", "spans": [[0, 6, "GPE"]]}
            y = {"text": f"Scorers : Traore {n} .", "spans": [[10, 16, "PERSON"]]}
            for record in (x, y):
                p.write(json.dumps({"text": record["text"]}) + "\n")
            for record in (x, y, y, x):
                a.write(json.dumps(record) + "\n")
    return plain, annotated


@pytest.mark.django_db(transaction=True)
def test_parallel_batches_repeating_each_others_texts_do_not_deadlock(
    tmp_path, monkeypatch, settings
):
    monkeypatch.setattr(loader, "BATCH_SIZE", 2)
    settings.IMPORT_THREADS = 2
    pairs = 150
    plain, crossed = crossed_repeats(tmp_path, pairs)

    run_command(crossed, project="crossed")  # new documents, crossed
    run_command(plain, project="known")
    run_command(crossed, project="known")  # documents there already, crossed

    for slug in ("crossed", "known"):
        assert documents_of(slug) == 2 * pairs
        assert spans_of(slug) == 2 * pairs
    assert set(ImportRun.objects.values_list("status", flat=True)) == {"done"}
