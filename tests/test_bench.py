"""The benchmark suite (`make bench`, `make bench-quick`) runs end to end and leaves a
report a person or a script can read.

Each part runs at its smallest sizes (bench/run.py --smoke --parts PART), one test per
part so that they spread over the test processes, in a database of its own on the test
server (one per test process, migrated by the first part that runs), so the rows it
commits never meet the other tests' data; the figures themselves are not judged here
(a timed test on a shared machine would fail at random): the benchmark report says
whether targets hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def bench_database(django_db_setup, django_db_blocker):
    """A database of its own beside the test database; its URL. It is dropped at the
    next run's start, like the test database kept by --reuse-db: dropping a database
    forces a checkpoint, which at the end of a run writes out every test's changes."""
    with django_db_blocker.unblock():
        settings = connection.settings_dict
    name = f"{settings['NAME']}_bench"
    url = (
        f"postgresql://{quote(settings['USER'])}:{quote(settings['PASSWORD'] or '')}@/"
        f"{name}?host={quote(settings['HOST'] or 'localhost')}"
        f"&port={settings['PORT'] or 5432}"
    )
    admin = url.replace(f"/{name}?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    return url


def check_import(report: dict, _printed: str) -> None:
    assert report["import"]["ratio"] > 0


def check_export(report: dict, _printed: str) -> None:
    assert report["export"][-1]["ratio"] > 0


def check_views(report: dict, printed: str) -> None:
    sizes = [size["documents"] for size in report["views"]]
    assert sizes == sorted(sizes) and len(sizes) == 2
    for size in report["views"]:
        for name, figures in size["views"].items():
            assert figures["p50_ms"] <= figures["p95_ms"], name
            assert figures["queries"] > 0, name
    # The table a person reads.
    assert "per-document views p95" in printed


def check_load(report: dict, _printed: str) -> None:
    assert report["load"]["acknowledged_writes"] > 0


def check_api(report: dict, _printed: str) -> None:
    api = report["api"]
    assert api["bulk"]["ratio"] > 0 and api["export"][-1]["same_bytes_as_command"]
    assert all(size["document"]["queries"] > 0 for size in api["get"])


def check_large(report: dict, _printed: str) -> None:
    assert report["large"]["span save response bytes"] > 0


# Every part of bench/run.py, with what its figures must look like.
PART_CHECKS = {
    "import": check_import,
    "export": check_export,
    "views": check_views,
    "load": check_load,
    "api": check_api,
    "large": check_large,
}


@pytest.mark.slow
@pytest.mark.parametrize("part", PART_CHECKS)
def test_bench_part_produces_a_well_formed_report(part, bench_database, tmp_path):
    report_path = tmp_path / "report.json"
    markdown_path = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--parts", part,
         "--report", str(report_path), "--markdown", str(markdown_path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": bench_database, "NEWSAPP_PLAIN_STATIC": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["run"] == "smoke"
    assert {"cpu", "cores", "postgresql"} <= report["machine"].keys()
    assert report.keys() & PART_CHECKS.keys() == {part}
    PART_CHECKS[part](report, done.stdout)
    assert {item["target"] for item in report["targets"]} and all(
        isinstance(item["met"], bool) for item in report["targets"]
    )
    # The Markdown docs/benchmarks.md is made of.
    assert "## Targets" in markdown_path.read_text()


def test_every_part_of_the_bench_has_a_check():
    from bench.run import FULL, QUICK, SMOKE

    assert FULL.keys() == QUICK.keys() == SMOKE.keys() == PART_CHECKS.keys()


def test_the_full_report_judges_newsapp_beside_the_last_label_studio_run():
    from bench.report import targets

    def peers(ours: float, theirs: float) -> dict:
        return {
            "date": "2026-12-05T18:09:43+00:00",
            "newsapp": {"cpu_ms_per_document": ours},
            "labelstudio": {"cpu_ms_per_document": theirs},
        }

    [cheaper] = targets({"peers": peers(139.3, 144.7)})
    assert cheaper["met"] and cheaper["wanted"] == "≤ 145 ms (Label Studio)"
    assert "2026-12-05" in cheaper["target"] and cheaper["measured"] == "139 ms"
    [dearer] = targets({"peers": peers(256.7, 246.3)})
    assert not dearer["met"]
    # A newsapp-only run (--skip-labelstudio) has nothing to be judged against.
    assert targets({"peers": {**peers(1, 1), "labelstudio": {}}}) == []
