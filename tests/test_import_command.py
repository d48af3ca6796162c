"""import_documents end to end: files in, rows in the database, reports out."""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.ingest import load as loader
from annotate.ingest.records import DocumentRecord, Rejection
from annotate.models import (
    Assignment,
    Document,
    ImportRun,
    Label,
    Project,
    Source,
    Span,
    Stance,
)

pytestmark = pytest.mark.django_db


def run_import(*paths, project="news", **options):
    call_command(
        "import_documents",
        *[str(p) for p in paths],
        project=project,
        verbosity=0,
        **options,
    )


def documents(slug="news"):
    return Document.objects.filter(project__slug=slug)


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_it_creates_the_project_with_default_labels(tmp_path):
    run_import(write_jsonl(tmp_path / "a.jsonl", [{"text": "One article."}]))
    project = Project.objects.get(slug="news")
    assert project.labels.entities().filter(name="PERSON").exists()
    assert documents().count() == 1


def test_it_imports_the_seed_page_dump_as_a_careful_reader_would(shared_data):
    run_import(shared_data / "seeds" / "000_60c56a25115bd218.txt")
    document = documents().get()
    assert document.title == "Lavrov kicks off diplomatic tour across African continent"
    assert document.publisher.name == "Al Mayadeen English"
    assert document.byline == "Al Mayadeen English"
    assert document.meta["source_credit"] == "Politico"
    assert document.published_at.isoformat().startswith("2024-06-04T17:13")
    assert document.text.startswith("Politico reported on Tuesday")
    assert document.text.rstrip().endswith("Kurakov said.")
    for boilerplate in (
        "BREAKING",
        "Most Read",
        "Read more:",
        "Related News",
        "All Rights Reserved",
        "Shares",
    ):
        assert boilerplate not in document.text
    assert "Sergey Lavrov" in document.meta["tags"]
    assert any(
        caption.startswith("In this photo released")
        for caption in document.meta["captions"]
    )
    assert document.raw == (
        shared_data / "seeds" / "000_60c56a25115bd218.txt"
    ).read_text(encoding="utf-8")


def test_it_cuts_the_channel_promo_from_a_plain_article(shared_data):
    run_import(shared_data / "seeds" / "003_bf796b53a05761a0.txt")
    document = documents().get()
    assert "Telegram" not in document.text
    assert "Lavrov's visit coincided" in document.text
    assert document.text.rstrip().endswith(
        'reducing the French presence in the region."'
    )


def test_it_adds_nothing_when_the_same_files_are_imported_again(shared_data):
    seeds = shared_data / "seeds"
    run_import(seeds)
    run_import(seeds)
    assert documents().count() == 2
    last = ImportRun.objects.latest("pk")
    assert (last.read, last.imported, last.duplicates, last.rejected) == (2, 0, 2, 0)


def test_it_reports_bad_records_with_file_and_line_and_keeps_the_good_ones(
    tmp_path, capsys
):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"text": "Good one."}\n{"text": \n{"title": "no text"}\n{"text": "Good two."}\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="2 rejected"):
        run_import(path)
    assert sorted(documents().values_list("text", flat=True)) == [
        "Good one.",
        "Good two.",
    ]
    errors = capsys.readouterr().err
    assert f"{path}:2:" in errors
    assert f"{path}:3:" in errors
    run = ImportRun.objects.get()
    assert [r["origin"] for r in run.rejections] == [f"{path}:2", f"{path}:3"]


def test_it_imports_nothing_from_a_bad_file_under_strict(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "Fine."}, {"text": 42}])
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": "Also fine."}])
    with pytest.raises(CommandError):
        run_import(bad, good, strict=True)
    assert list(documents().values_list("text", flat=True)) == ["Also fine."]


def test_it_rejects_a_binary_file_without_a_traceback(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CommandError, match="1 rejected"):
        run_import(path)
    assert documents().count() == 0


def test_it_reads_folders_zip_and_gzip_archives(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"text": "From a folder."}])
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("inner/b.jsonl", json.dumps({"text": "From a zip."}) + "\n")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write(json.dumps({"text": "From a gzip."}) + "\n")
    run_import(folder, tmp_path / "b.zip", tmp_path / "c.jsonl.gz")
    assert sorted(documents().values_list("text", flat=True)) == [
        "From a folder.",
        "From a gzip.",
        "From a zip.",
    ]


def test_it_imports_doccano_labels_as_imported_spans(shared_data):
    path = (
        shared_data
        / "annotation-format-examples/doccano/backend/data_export/pipeline/examples/sequence_labeling/example.jsonl"
    )
    run_import(path, format="doccano")
    spans = Span.objects.filter(assignment__document__project__slug="news")
    assert spans.exists()
    assert set(spans.values_list("origin", flat=True)) == {Span.Origin.IMPORTED}
    assert not Assignment.objects.filter(annotator__is_active=True).exists()
    for span in spans.select_related("assignment__document"):
        assert span.assignment.document.text[span.start : span.end] == span.text


def test_it_reports_the_label_studio_off_by_one_span(shared_data):
    path = (
        shared_data
        / "annotation-format-examples/label-studio/label-studio/label_studio/examples/text_named_entity/tasks.json"
    )
    with pytest.raises(CommandError):
        run_import(path, format="labelstudio")
    run = ImportRun.objects.get()
    assert any("February 2" in r["reason"] for r in run.rejections)


def test_it_imports_a_label_studio_annotation_file(shared_data):
    path = (
        shared_data
        / "annotation-format-examples/label-studio/label-studio/web/libs/editor/src/examples/named_entity/annotations/1.json"
    )
    run_import(path, format="labelstudio")
    span = Span.objects.get(text="February 22")
    assert span.label.name == "Date"
    assert span.label.kind == Label.Kind.ENTITY


def test_it_keeps_only_accepted_prodigy_annotations(shared_data):
    path = (
        shared_data
        / "annotation-format-examples/prodigy/example-datasets/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
    )
    run_import(path, format="prodigy")
    assert documents().count() > 300
    ignored = [
        json.loads(line)
        for line in path.read_text().splitlines()
        if json.loads(line)["answer"] != "accept"
    ]
    assert ignored
    for record in ignored:
        document = documents().get(text=record["text"])
        assert not Span.objects.filter(assignment__document=document).exists()


def test_it_turns_label_studio_choices_into_stances(shared_data):
    path = (
        shared_data
        / "annotation-format-examples/label-studio/label-studio-converter/tests/data/test_export_csv/csv_test2.json"
    )
    run_import(path, format="labelstudio")
    assert Stance.objects.filter(assignment__document__project__slug="news").exists()


def test_it_imports_html_through_the_article_extractor(shared_data, tmp_path):
    page = next(
        iter(
            sorted(
                (shared_data / "article-extraction-benchmark" / "html").glob(
                    "*.html.gz"
                )
            )
        )
    )
    run_import(page)
    document = documents().get()
    assert len(document.text) > 200
    assert "<" not in document.text[:200]
    assert document.raw.lstrip().lower().startswith("<")


def test_it_imports_csv_rows(tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text(
        'title,text,url\nFirst,"Line one.\nLine two.",https://a.example/1\nSecond,Body two.,\n',
        encoding="utf-8",
    )
    run_import(path)
    first = documents().get(title="First")
    assert first.text == "Line one.\nLine two."
    assert first.url == "https://a.example/1"


def test_it_completes_an_interrupted_import_without_duplicates(project, monkeypatch):
    records = [
        DocumentRecord(text=f"Article number {n}.", raw=f"{n}", origin=f"f.jsonl:{n}")
        for n in range(1, 26)
    ]

    def crashing(items):
        for number, item in enumerate(items):
            if number == 17:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(loader, "BATCH_SIZE", 5)
    run = ImportRun.objects.create(project=project, format="jsonl")
    with pytest.raises(KeyboardInterrupt):
        loader.import_records(crashing(records), project=project, run=run)
    assert Document.objects.filter(project=project).count() == 15
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    again = ImportRun.objects.create(project=project, format="jsonl")
    loader.import_records(iter(records), project=project, run=again)
    assert Document.objects.filter(project=project).count() == 25
    assert (again.imported, again.duplicates) == (10, 15)


def test_it_rejects_a_record_whose_span_does_not_match_the_text(project):
    from annotate.ingest.records import SpanRecord

    record = DocumentRecord(
        text="Lavrov in Bamako.",
        raw="x",
        origin="f.jsonl:3",
        spans=[SpanRecord(0, 6, "PERSON", "Lavrof")],
    )
    run = ImportRun.objects.create(project=project, format="jsonl")
    loader.import_records(
        iter([record, Rejection("f.jsonl:4", "bad json")]), project=project, run=run
    )
    assert run.rejected == 2
    assert "does not match" in run.rejections[0]["reason"]
    assert not Document.objects.filter(project=project).exists()


def test_it_links_a_publisher_to_the_source_of_its_domain(tmp_path):
    wsj = Source.objects.create(name="wsj.com", domain="wsj.com", factuality="high")
    run_import(
        write_jsonl(
            tmp_path / "a.jsonl",
            [
                {
                    "text": "Markets fell.",
                    "publisher": "Wall Street Journal",
                    "url": "https://www.wsj.com/articles/x",
                }
            ],
        )
    )
    document = documents().get()
    assert document.publisher == wsj
    wsj.refresh_from_db()
    assert "Wall Street Journal" in wsj.aliases
    run_import(
        write_jsonl(
            tmp_path / "b.jsonl",
            [
                {
                    "text": "Cocoa rose.",
                    "publisher": "Ghana Times",
                    "url": "https://ghanaian-times.example/a",
                }
            ],
        )
    )
    assert Source.objects.get(name="Ghana Times").domain == "ghanaian-times.example"


@pytest.mark.django_db(transaction=True)
def test_it_loads_batches_on_parallel_connections_without_loss_or_duplicates(
    tmp_path, monkeypatch, settings
):
    monkeypatch.setattr(loader, "BATCH_SIZE", 3)
    settings.IMPORT_THREADS = 2
    path = write_jsonl(
        tmp_path / "many.jsonl",
        [{"text": f"Article {n}.", "publisher": "AFP"} for n in range(20)],
    )
    run_import(path)
    run_import(path)
    assert sorted(documents().values_list("text", flat=True)) == sorted(
        f"Article {n}." for n in range(20)
    )
    first, second = ImportRun.objects.order_by("pk")
    assert (first.imported, first.duplicates) == (20, 0)
    assert (second.imported, second.duplicates) == (0, 20)


@pytest.mark.django_db(transaction=True)
def test_parallel_batches_share_new_publishers_and_labels_safely(
    tmp_path, monkeypatch, settings
):
    """Publishers and labels first seen in one batch recur in the next, which another
    connection inserts at the same time: none may point at an uncommitted row."""
    monkeypatch.setattr(loader, "BATCH_SIZE", 2)
    settings.IMPORT_THREADS = 2
    texts = [f"Story {n} from Bamako." for n in range(300)]
    records = [
        {
            "text": text,
            "publisher": f"Outlet {n % 7}",
            "spans": [
                {
                    "start": text.index("Bamako"),
                    "end": text.index("Bamako") + 6,
                    "label": f"KIND{n % 5}",
                }
            ],
        }
        for n, text in enumerate(texts)
    ]
    run_import(write_jsonl(tmp_path / "outlets.jsonl", records))
    assert documents().count() == 300
    assert Source.objects.filter(name__startswith="Outlet ").count() == 7
    assert ImportRun.objects.get().status == "done"
