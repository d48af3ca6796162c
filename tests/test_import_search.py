"""Search and statistics after a bulk load: the loader leaves the full-text vectors out of
its INSERT and a follow-up task stores them; documents are found all the while."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from annotate.ingest.load import import_paths
from annotate.ingest.search import fill_search
from annotate.models import Document

pytestmark = pytest.mark.django_db

ARTICLES = [
    {"title": "Mali visit", "text": "Lavrov met Goita in Bamako on Monday."},
    {"title": "Cocoa", "text": "Crop prices fell in Ghana this week."},
]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def found(project, terms):
    return sorted(d.title for d in Document.objects.for_project(project).search(terms))


def reltuples(table):
    """The row count the planner believes in: set by ANALYZE (and VACUUM) only."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_imported_documents_are_found_before_and_after_their_vectors_are_stored(
    tmp_path, project
):
    # The test's transaction never commits, so the follow-up task is not run yet.
    import_paths([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], project=project)
    pending = Document.objects.for_project(project).filter(search__isnull=True)
    assert pending.count() == 2
    assert found(project, "bamako") == ["Mali visit"]
    assert found(project, "cocoa -bamako") == ["Cocoa"]

    assert fill_search.call(project.pk) == 2
    assert not pending.exists()
    assert found(project, "bamako") == ["Mali visit"]
    assert found(project, "ghana or goita") == ["Cocoa", "Mali visit"]


def test_the_follow_up_task_stores_the_vectors_once_the_import_commits(
    tmp_path, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_paths([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], project=project)
    documents = Document.objects.for_project(project)
    assert not documents.filter(search__isnull=True).exists()
    assert found(project, "bamako") == ["Mali visit"]


def test_documents_written_outside_the_loader_carry_their_vector(project):
    document = Document.objects.create(
        project=project, title="Cocoa", text="Crop prices fell.", content_hash="x"
    )
    assert Document.objects.filter(pk=document.pk, search__isnull=False).exists()
    assert found(project, "crop") == ["Cocoa"]
    document.title = "Cocoa in Bamako"
    document.save()
    assert found(project, "bamako") == ["Cocoa in Bamako"]


def test_a_bulk_load_leaves_fresh_planner_statistics(tmp_path, project):
    records = [
        {
            "text": f"Lavrov in Bamako, part {n}.",
            "spans": [{"start": 0, "end": 6, "label": "PERSON"}],
        }
        for n in range(40)
    ]
    import_paths([write_jsonl(tmp_path / "a.jsonl", records)], project=project)
    assert reltuples("annotate_document") == 40
    assert reltuples("annotate_span") == 40
