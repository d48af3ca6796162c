"""Export speed: spans/s of `export_annotations --format spans --all` beside a raw
`COPY (SELECT ...) TO STDOUT` of the same rows, and the export process's peak memory,
on a project of 10,000 spans and on one of 1,000,000 (100,000 documents).

    python bench/export_speed.py [--quick] [--documents N N] [--json FILE]
    # --quick: 10k and 100k spans; --documents: projects of these sizes instead

The projects come from bench/scaled.py (generated in SQL, kept for the next run).
Results go to var/bench/export.json unless --json says otherwise.
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
from django.db import connection  # noqa: E402

from annotate.models import Project, Span  # noqa: E402
from bench.scaled import scaled_project  # noqa: E402


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


def measure(documents: int, folder: Path) -> dict:
    started = time.perf_counter()
    project = scaled_project(documents)
    built = time.perf_counter() - started
    spans = span_count(project)
    copy_seconds = copy_run(project)
    export_seconds, peak_kb = export_run(project, folder / f"{project.slug}.jsonl")
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
        "file_mb": round((folder / f"{project.slug}.jsonl").stat().st_size / 2**20, 1),
        "build_seconds": round(built, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k spans")
    parser.add_argument(
        "--documents", type=int, nargs="+", help="these sizes instead (10 spans each)"
    )
    parser.add_argument("--json", type=Path, help="where the figures go")
    args = parser.parse_args()
    sizes = args.documents or [1_000, 10_000 if args.quick else 100_000]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for documents in sizes:
            results.append(measure(documents, Path(folder)))
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
    out = args.json or Path(settings.VAR_DIR) / "bench" / "export.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
