"""The benchmark suite: import, export, per-view server time, the load test, the
REST API beside the commands it stands for (bench/api_speed.py) and one 5 MB article
on the annotation screen (bench/large_document.py), each
beside the baseline it is measured against in the same run (the machines are shared
and absolute times drift), with the targets of the scale issue checked.

    python bench/run.py [--quick | --smoke] [--report FILE] [--markdown FILE]

--quick (`make bench-quick`, under two minutes) runs every part at a small size, and
--smoke at the smallest that still fills every figure (the test suite's check); the
full run (`make bench`) uses 100,000 documents / 1,000,000 spans and 50 annotators for
60 s. Each part runs in its own process (so the export's peak memory is its own) and
writes its figures; this script gathers them into var/bench/report.json, prints the
table and, with --markdown, writes the report as Markdown (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import markdown, targets, text_table, with_kept_notes  # noqa: E402

FULL = {
    "import": ["bench/import_speed.py", "-n", "20000"],
    "export": ["bench/export_speed.py"],
    "views": ["bench/views.py", "--documents", "1000", "100000", "--runs", "20"],
    "load": ["bench/load.py", "--annotators", "50", "--seconds", "60"],
    "api": ["bench/api_speed.py"],
    "large": ["bench/large_document.py"],
}
QUICK = {
    "import": ["bench/import_speed.py", "-n", "2000"],
    "export": ["bench/export_speed.py", "--quick"],
    "views": ["bench/views.py", "--documents", "1000", "10000", "--runs", "5"],
    "load": ["bench/load.py", "--quick"],
    "api": ["bench/api_speed.py", "--quick"],
    "large": ["bench/large_document.py", "--runs", "2"],
}
# The smallest sizes that still give every figure of the report: for the test that the
# report is whole and well formed (tests/test_bench.py), not for reading.
SMOKE = {
    "import": ["bench/import_speed.py", "-n", "200"],
    "export": ["bench/export_speed.py", "--documents", "20", "200"],
    "views": ["bench/views.py", "--documents", "20", "200", "--runs", "1"],
    "load": [
        "bench/load.py",
        "--annotators",
        "2",
        "--seconds",
        "2",
        "--documents",
        "100",
    ],
    "api": ["bench/api_speed.py", "--bulk", "100", "--documents", "20", "200"]
    + ["--runs", "1"],
    # Past LARGE_DOCUMENT_CHARS, so the text is paged as a 5 MB one is.
    "large": ["bench/large_document.py", "--chars", "300000", "--runs", "1"],
}


def run_part(name: str, command: list[str], folder: Path) -> dict | list:
    """Run one part in its own process; its figures come back through a JSON file."""
    output = folder / f"{name}.json"
    output.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"== {name}: {' '.join(command)}", flush=True)
    subprocess.run(
        [sys.executable, *command, "--json", str(output)], cwd=ROOT, check=True
    )
    figures = json.loads(output.read_text())
    print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
    return figures


def machine() -> dict:
    """What the figures were measured on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "database": "embedded" if not os.environ.get("DATABASE_URL") else "external",
    }


def prepare_database() -> None:
    """A fresh machine's database has no tables yet (in this process: Django is set up
    already, and a process of its own would spend seconds importing it again)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true")
    sizes.add_argument("--smoke", action="store_true")
    parser.add_argument("--report", type=Path, help="default var/bench/report.json")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=list(FULL),
        default=list(FULL),
        help="run only these",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
    import django
    from django.conf import settings

    django.setup()
    report_path = args.report or Path(settings.VAR_DIR) / "bench" / "report.json"
    folder = report_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepare_database()
    run = "smoke" if args.smoke else "quick" if args.quick else "full"
    report = {
        "run": run,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    for name, command in {"smoke": SMOKE, "quick": QUICK, "full": FULL}[run].items():
        if name in args.parts:
            report[name] = run_part(name, command, folder)
    peers = folder / "peers.json"  # the last make bench-peers, for its target
    if run == "full" and peers.exists():
        report["peers"] = json.loads(peers.read_text())
    report["seconds"] = round(time.perf_counter() - started)
    report["targets"] = targets(report)
    report_path.write_text(json.dumps(report, indent=2))
    print(text_table(report))
    print(f"report: {report_path}")
    if args.markdown:
        previous = args.markdown.read_text() if args.markdown.exists() else ""
        args.markdown.write_text(with_kept_notes(markdown(report), previous))
        print(f"markdown: {args.markdown}")


if __name__ == "__main__":
    main()
