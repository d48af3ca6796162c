"""Import speed: documents/s of `import_documents` beside a raw psycopg COPY of the same rows.

    python bench/import_speed.py [-n 20000] [--bare]

Both sides read the same JSONL file and parse every line; the baseline then COPYs the
rows into a plain table with no index or constraint, which is the ceiling for a loader.
With --bare the imported records give no title and no language, so the import finds
both (the first sentence; py3langid on the text's start).

The loader leaves the full-text vectors to a follow-up task: the figures also say how
long a search takes right after the import (matching on vectors computed on the fly)
and how long after the import the task has stored them all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from annotate.ingest.load import import_paths  # noqa: E402
from annotate.models import Document, Project  # noqa: E402
from bench.corpus import write_jsonl  # noqa: E402

COLUMNS = (
    "external_id",
    "title",
    "text",
    "raw",
    "url",
    "publisher",
    "byline",
    "published_at",
    "language",
    "meta",
)


def raw_copy_rate(path: Path) -> tuple[int, float]:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_documents")
        cursor.execute(
            "CREATE TABLE bench_plain_documents (external_id text, title text, text text, raw text, url text, "
            "publisher text, byline text, published_at timestamptz, language text, meta jsonb)"
        )
        started = time.perf_counter()
        count = 0
        with (
            path.open(encoding="utf-8") as lines,
            cursor.cursor.copy(
                f"COPY bench_plain_documents ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            for line in lines:
                item = json.loads(line)
                copy.write_row(
                    (
                        item["id"],
                        item["title"],
                        item["text"],
                        line,
                        item["url"],
                        item["publisher"],
                        item["byline"],
                        item["published_at"],
                        item["language"],
                        json.dumps({"tags": item["tags"]}),
                    )
                )
                count += 1
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain_documents")
    return count, elapsed


def without_title_and_language(path: Path) -> Path:
    bare = path.with_name(f"bare-{path.name}")
    with path.open(encoding="utf-8") as lines, bare.open("w", encoding="utf-8") as out:
        for line in lines:
            item = json.loads(line)
            del item["title"], item["language"]
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return bare


def import_rate(path: Path) -> tuple[int, float, dict]:
    """The import's documents and seconds, and how soon they are found by search."""
    Project.objects.filter(slug="bench-import").delete()
    project, _ = Project.objects.get_or_create_with_labels("bench-import")
    started = time.perf_counter()
    run = import_paths([path], project=project, format="jsonl")
    elapsed = time.perf_counter() - started
    if run.rejected or run.imported != run.read:
        raise SystemExit(f"the benchmark import was not clean: {run.summary()}")
    search = search_delay(project, path)
    Project.objects.filter(pk=project.pk).delete()
    return run.imported, elapsed, search


def search_delay(project: Project, path: Path) -> dict:
    """Right after the import: a search for the last article's title (found from the
    vector computed on the fly), then the follow-up task's run (as the worker runs it
    once the import commits) and the same search on the stored vectors."""
    with path.open(encoding="utf-8") as lines:
        *_, last = lines
    words = " ".join(json.loads(last)["text"].split()[:6])
    documents = Document.objects.for_project(project)
    started = time.perf_counter()
    found_now = documents.search(f'"{words}"').exists()
    search_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    filled = documents.fill_search()
    indexed_s = time.perf_counter() - started
    started = time.perf_counter()
    found_later = documents.search(f'"{words}"').exists()
    indexed_search_ms = (time.perf_counter() - started) * 1000
    if not (found_now and found_later):
        raise SystemExit("the last imported article was not found by its words")
    return {
        "found_right_after_import": found_now,
        "search_before_indexing_ms": round(search_ms),
        "vectors_stored": filled,
        "indexed_after_s": round(indexed_s, 1),
        "search_after_indexing_ms": round(indexed_search_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--documents", type=int, default=20_000)
    parser.add_argument(
        "--json", type=Path, help="Also write the figures to this file."
    )
    parser.add_argument(
        "--bare",
        action="store_true",
        help="Import records without title and language (the import finds them).",
    )
    args = parser.parse_args()
    path = write_jsonl(
        Path(settings.VAR_DIR) / "bench" / f"articles-{args.documents}.jsonl",
        args.documents,
    )
    size_mb = path.stat().st_size / 1e6
    imported, import_seconds, search = import_rate(
        without_title_and_language(path) if args.bare else path
    )
    copied, copy_seconds = raw_copy_rate(path)
    figures = {
        "documents": imported,
        "file_mb": round(size_mb, 1),
        "import_docs_per_s": round(imported / import_seconds),
        "raw_copy_rows_per_s": round(copied / copy_seconds),
    }
    figures["ratio"] = round(
        figures["import_docs_per_s"] / figures["raw_copy_rows_per_s"], 2
    )
    figures["search"] = search
    bare = " without title and language" if args.bare else ""
    print(f"import benchmark: {imported} articles{bare}, {size_mb:.1f} MB of JSONL")
    print(
        f"  {'import_documents':<24} {figures['import_docs_per_s']:>8} docs/s  ({import_seconds:.1f} s)"
    )
    print(
        f"  {'raw COPY, plain table':<24} {figures['raw_copy_rows_per_s']:>8} rows/s  ({copy_seconds:.1f} s)"
    )
    print(f"  {'ratio (target >= 0.5)':<24} {figures['ratio']:>8}")
    print(
        f"  findable by search at once ({search['search_before_indexing_ms']} ms a search "
        f"before indexing, {search['search_after_indexing_ms']} ms after); vectors "
        f"stored {search['indexed_after_s']} s after the import (follow-up task)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
