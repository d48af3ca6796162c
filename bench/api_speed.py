"""The API beside the commands it stands for, in the same run:

- bulk create: documents/s of POST .../documents/ (NDJSON streamed from the file to
  gunicorn) beside `import_documents` on the same records;
- streaming export: spans/s of GET .../exports/stream/?format=spans&selection=all beside
  `export_annotations --format spans --all`, the time to the first line, and the peak
  memory of the gunicorn worker that streamed it, at 10,000 and 1,000,000 spans;
- GET of one document and of its annotations: server time p50/p95 and query counts,
  in-process (the test client, as bench/views.py), at 1,000 and 100,000 documents.

    python bench/api_speed.py [--quick] [--json FILE]   # --quick: 1,000 docs, 100k spans
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
os.environ.setdefault("NEWSAPP_PLAIN_STATIC", "1")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotate.ingest.load import import_paths  # noqa: E402
from annotate.models import ApiToken, Membership, Project, Span  # noqa: E402
from bench.corpus import write_jsonl  # noqa: E402
from bench.export_speed import export_run  # noqa: E402
from bench.load import (  # noqa: E402
    ServerConfig,
    free_port,
    gunicorn_command,
    process,
    server_env,
    wait_healthy,
)
from bench.scaled import member, scaled_project  # noqa: E402

# One worker, one thread: the server's memory is that of the process that streamed.
SERVER = ServerConfig(workers=1)


def token_for(project: Project) -> str:
    user = member(project, "bench-api", Membership.Role.MANAGER)
    return ApiToken.objects.issue(user=user, name="bench")[1]


class Server:
    """A gunicorn of its own on a free port, for one measurement."""

    def __enter__(self) -> Server:
        port = free_port()
        command = [*gunicorn_command(SERVER, port), "--timeout=900"]
        # The loader writes batches on IMPORT_THREADS more connections of the pool.
        env = server_env(settings.IMPORT_THREADS + 1)
        self._process = process(command, name="api-gunicorn", env=env)
        self.child = self._process.__enter__()
        self.base = f"http://127.0.0.1:{port}"
        wait_healthy(self.base, self.child, "api-gunicorn")
        return self

    def worker_peak_mb(self) -> float:
        """The peak resident memory of the worker process(es) so far (VmHWM)."""
        workers = psutil.Process(self.child.pid).children(recursive=True)
        peaks = []
        for worker in workers:
            status = Path(f"/proc/{worker.pid}/status").read_text()
            line = next(x for x in status.splitlines() if x.startswith("VmHWM"))
            peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def __exit__(self, *exc) -> None:
        self._process.__exit__(*exc)


def bulk(documents: int) -> dict:
    path = write_jsonl(
        Path(settings.VAR_DIR) / "bench" / f"articles-{documents}.jsonl", documents
    )
    rates = {}
    for how in ("command", "api"):
        Project.objects.filter(slug="bench-api-bulk").delete()
        project, _ = Project.objects.get_or_create_with_labels("bench-api-bulk")
        if how == "command":
            started = time.perf_counter()
            run = import_paths([path], project=project, format="jsonl")
            seconds = time.perf_counter() - started
            imported = run.imported
        else:
            token = token_for(project)
            with Server() as server, path.open("rb") as body:
                started = time.perf_counter()
                answer = httpx.post(
                    f"{server.base}/api/v1/projects/{project.slug}/documents/",
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/x-ndjson",
                    },
                    timeout=3600,
                )
                seconds = time.perf_counter() - started
            answer.raise_for_status()
            imported = answer.json()["imported"]
        if imported != documents:
            raise SystemExit(f"{how}: {imported} of {documents} imported")
        rates[how] = documents / seconds
        print(
            f"bulk create, {how:<8} {rates[how]:>8.0f} docs/s ({seconds:.1f} s)",
            flush=True,
        )
    Project.objects.filter(slug="bench-api-bulk").delete()
    return {
        "documents": documents,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "command_docs_per_s": round(rates["command"]),
        "api_docs_per_s": round(rates["api"]),
        "ratio": round(rates["api"] / rates["command"], 2),
    }


def stream_export(documents: int, folder: Path) -> dict:
    project = scaled_project(documents)
    spans = Span.objects.filter(assignment__document__project=project).count()
    command_seconds, command_kb = export_run(project, folder / "command.jsonl")
    token = token_for(project)
    url = f"/api/v1/projects/{project.slug}/exports/stream/"
    with Server() as server:
        idle_mb = server.worker_peak_mb()
        started = time.perf_counter()
        first_line = None
        lines = 0
        query = {"format": "spans", "selection": "all"}
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.stream("GET", server.base + url, params=query, headers=headers, timeout=3600) as answer,
            (folder / "api.jsonl").open("wb") as out,
        ):  # fmt: skip
            answer.raise_for_status()
            for chunk in answer.iter_raw():
                if first_line is None:
                    first_line = time.perf_counter() - started
                lines += chunk.count(b"\n")
                out.write(chunk)
        api_seconds = time.perf_counter() - started
        peak_mb = server.worker_peak_mb()
    same = (folder / "api.jsonl").stat().st_size == (
        folder / "command.jsonl"
    ).stat().st_size
    figures = {
        "documents": documents,
        "spans": spans,
        "lines": lines,
        "same_bytes_as_command": same,
        "command_spans_per_s": round(spans / command_seconds),
        "api_spans_per_s": round(spans / api_seconds),
        "ratio": round(command_seconds / api_seconds, 2),
        "first_line_ms": round(first_line * 1000, 1),
        "command_peak_rss_mb": round(command_kb / 1024, 1),
        "worker_idle_rss_mb": round(idle_mb, 1),
        "worker_peak_rss_mb": round(peak_mb, 1),
    }
    print(
        f"stream export, {spans:>9,} spans: command {figures['command_spans_per_s']:>8,}/s, "
        f"API {figures['api_spans_per_s']:>8,}/s (ratio {figures['ratio']}), first line "
        f"{figures['first_line_ms']} ms, worker peak {peak_mb:.0f} MB",
        flush=True,
    )
    return figures


def get_document(documents: int, runs: int) -> dict:
    project = scaled_project(documents)
    document = project.documents.order_by("id")[documents // 2]
    client = Client(headers={"Authorization": f"Bearer {token_for(project)}"})
    figures = {"documents": documents}
    base = f"/api/v1/projects/{project.slug}/documents/{document.pk}/"
    for name, url in (("document", base), ("annotations", base + "annotations/")):
        timings, queries = [], 0
        for attempt in range(runs + 2):  # two to warm up
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                answer = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"GET {url}: {answer.status_code}")
            if attempt >= 2:
                timings.append(elapsed)
            queries = len(captured.captured_queries)
        timings.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[round(0.95 * (len(timings) - 1))], 1),
            "queries": queries,
        }
        print(
            f"GET {name:<12} at {documents:>7,} documents: {figures[name]}", flush=True
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bulk", type=int, help="documents for the bulk create")
    parser.add_argument(
        "--documents", type=int, nargs="+", help="project sizes for export and GETs"
    )
    parser.add_argument("--runs", type=int, help="GETs timed per view")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    sizes = args.documents or ([1_000, 10_000] if args.quick else [1_000, 100_000])
    runs = args.runs or (10 if args.quick else 50)
    figures = {"bulk": bulk(args.bulk or (1_000 if args.quick else 20_000))}
    with tempfile.TemporaryDirectory() as folder:
        figures["export"] = [stream_export(size, Path(folder)) for size in sizes]
    figures["get"] = [get_document(size, runs) for size in sizes]
    out = args.json or Path(settings.VAR_DIR) / "bench" / "api.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
