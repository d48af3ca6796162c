"""Export speed: spans/s of `export_annotations --format spans --all` beside a raw
`COPY (SELECT ...) TO STDOUT` of the same rows, and the export process's peak memory,
on a project of 10,000 spans and on one of 1,000,000 (100,000 documents).

    python bench/export_speed.py [--quick]     # --quick: 10k and 100k spans

The projects are generated once in SQL (documents of ~3 KB, three annotators each, spans
at word boundaries) and kept for the next run. Results go to var/bench/export.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from annotate.models import Label, Project, Span  # noqa: E402

ANNOTATORS = 3
SPANS_PER_ASSIGNMENT = 3  # and a third of documents get one more: 10 spans a document
SENTENCE = "Sergey Lavrov met Assimi Goita in Bamako on Monday, Reuters reported. "
# A SENTENCE-long stretch holds these spans (offset, length); 3 KB = 42 sentences.
SPAN_PLACES = ((0, 13), (18, 12), (34, 6), (52, 7))
SENTENCES = 42


def build(slug: str, documents: int) -> Project:
    """A project of `documents` documents, ANNOTATORS submitted assignments each and
    about 10 spans per document; generated in SQL, and kept between runs."""
    project, created = Project.objects.get_or_create_with_labels(slug)
    if not created and project.documents.count() == documents:
        return project
    project.documents.all().delete()
    users = [
        get_user_model().objects.get_or_create(username=f"bench-annotator-{n}")[0]
        for n in range(ANNOTATORS)
    ]
    labels = list(Label.objects.filter(project=project, kind="entity")[:4])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO annotate_document (project_id, external_id, title, text, raw, "
            "url, byline, language, meta, content_hash, story_key, assignment_count, "
            "created_at) SELECT %s, 'b' || n, 'Bench ' || n, "
            "repeat(%s, %s) || n, '', '', '', 'en', '{}', md5(%s || n), '', %s, now() "
            "FROM generate_series(1, %s) AS n",
            [project.pk, SENTENCE, SENTENCES, slug, ANNOTATORS, documents],
        )
        cursor.execute(
            "INSERT INTO annotate_assignment (document_id, annotator_id, status, "
            "review_state, review_comment, is_gold, version, created_at, updated_at, "
            "submitted_at) SELECT d.id, u, 'submitted', 'pending', '', false, 1, now(), "
            "now(), now() FROM annotate_document d, unnest(%s::bigint[]) AS u "
            "WHERE d.project_id = %s",
            [[user.pk for user in users], project.pk],
        )
        # Span k of an assignment sits in sentence k, at place (k + a) % 4; one
        # annotator in three adds a fourth span (about 10 per document in all).
        cursor.execute(
            'INSERT INTO annotate_span (assignment_id, start, "end", label_id, text, '
            "origin, created_at) "
            "SELECT a.id, k * %(len)s + (p.places)[1 + (k + a.id) %% 4][1], "
            "k * %(len)s + (p.places)[1 + (k + a.id) %% 4][1] "
            "+ (p.places)[1 + (k + a.id) %% 4][2], "
            "(%(labels)s::bigint[])[1 + (k + a.id) %% 4], "
            "substr(%(sentence)s, (p.places)[1 + (k + a.id) %% 4][1] + 1, "
            "(p.places)[1 + (k + a.id) %% 4][2]), 'manual', now() "
            "FROM annotate_assignment a JOIN annotate_document d ON d.id = a.document_id "
            "CROSS JOIN (SELECT %(places)s::int[][] AS places) p "
            "CROSS JOIN generate_series(0, %(most)s) AS k "
            "WHERE d.project_id = %(project)s "
            "AND (k < %(per)s OR a.id %% 3 = 0)",
            {
                "len": len(SENTENCE),
                "labels": [label.pk for label in labels],
                "sentence": SENTENCE,
                "places": [list(place) for place in SPAN_PLACES],
                "most": SPANS_PER_ASSIGNMENT,
                "per": SPANS_PER_ASSIGNMENT,
                "project": project.pk,
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_document, annotate_assignment, annotate_span")
    return project


def span_count(project: Project) -> int:
    return Span.objects.filter(assignment__document__project=project).count()


def export_run(project: Project, output: Path) -> tuple[float, int]:
    """Seconds and peak resident memory (KB) of the export command in its own process."""
    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        sys.executable,
        str(ROOT / "manage.py"),
        "export_annotations",
        "--project",
        project.slug,
        "--format",
        "spans",
        "--all",
        "-o",
        str(output),
        "--verbosity",
        "0",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    return elapsed, int(done.stderr.strip().splitlines()[-1])


def copy_run(project: Project) -> float:
    """The same rows as the export, straight out of PostgreSQL in text form."""
    query = (
        'COPY (SELECT d.id, d.text, d.meta, a.id, u.username, s.start, s."end", '
        "l.name, s.text, s.entity_id FROM annotate_document d "
        "JOIN annotate_assignment a ON a.document_id = d.id "
        "JOIN auth_user u ON u.id = a.annotator_id "
        "LEFT JOIN annotate_span s ON s.assignment_id = a.id "
        "LEFT JOIN annotate_label l ON l.id = s.label_id "
        f"WHERE d.project_id = {int(project.pk)} AND a.status = 'submitted' "
        "ORDER BY d.id, u.username, s.start) TO STDOUT"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for _block in copy:
            pass
    return time.perf_counter() - started


def measure(slug: str, documents: int, folder: Path) -> dict:
    started = time.perf_counter()
    project = build(slug, documents)
    built = time.perf_counter() - started
    spans = span_count(project)
    copy_seconds = copy_run(project)
    export_seconds, peak_kb = export_run(project, folder / f"{slug}.jsonl")
    copy_seconds = min(copy_seconds, copy_run(project))  # warm, like the export
    return {
        "documents": documents,
        "spans": spans,
        "export_seconds": round(export_seconds, 2),
        "export_spans_per_s": round(spans / export_seconds),
        "copy_seconds": round(copy_seconds, 2),
        "copy_spans_per_s": round(spans / copy_seconds),
        "ratio": round(copy_seconds / export_seconds, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "file_mb": round((folder / f"{slug}.jsonl").stat().st_size / 2**20, 1),
        "build_seconds": round(built, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k spans")
    args = parser.parse_args()
    sizes = [("bench-export-1k", 1_000)]
    sizes.append(
        ("bench-export-10k", 10_000) if args.quick else ("bench-export-100k", 100_000)
    )
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for slug, documents in sizes:
            results.append(measure(slug, documents, Path(folder)))
    print(
        f"{'documents':>10} {'spans':>10} {'export spans/s':>15} {'COPY spans/s':>13} "
        f"{'ratio':>6} {'peak RSS':>9} {'file':>8}"
    )
    for r in results:
        print(
            f"{r['documents']:>10,} {r['spans']:>10,} {r['export_spans_per_s']:>15,} "
            f"{r['copy_spans_per_s']:>13,} {r['ratio']:>6.2f} "
            f"{r['peak_rss_mb']:>7.0f}MB {r['file_mb']:>6.0f}MB"
        )
    print(
        "ratio = export rate / raw COPY rate of the same rows (1.0 would be as fast as "
        "PostgreSQL can hand them out); peak RSS of the export process."
    )
    out = Path(settings.VAR_DIR) / "bench" / "export.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
