"""`make bench-peers`: newsapp beside Label Studio 1.23.2 on the same PostgreSQL, the same
generated corpus and the same sequential client, written into docs/benchmarks.md.

    python bench/peers.py [--quick] [--documents N] [--annotate K] [--skip-labelstudio]

Both get the same articles (bench/corpus.py; 10,000, or 1,000 with --quick). Per side:
the import (newsapp: the loader, `import_paths`, in process, like bench/import_speed.py;
Label Studio: one POST of every task; the faster of two imports into a fresh project), then K documents annotated one after the other
(newsapp: next + the page + 10 span saves + submit through its htmx endpoints; Label
Studio: next + the task + one POST of the 10 spans), the server CPU of that read from
/proc/<pid>/stat of the server's processes (gunicorn's master and workers; Label
Studio's server), page and list latency p50, the export of every document over HTTP,
and the server's RSS after the run. Label Studio is installed into var/peers/venv on
first use (bench/peers_ls.py); when that fails the newsapp side is still written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402

from annotate.ingest.load import import_paths  # noqa: E402
from annotate.models import Assignment, Document, Label, Project, StanceTarget  # noqa: E402
from bench import peers_ls  # noqa: E402
from bench.api_speed import token_for  # noqa: E402
from bench.corpus import write_jsonl  # noqa: E402
from bench.load import (  # noqa: E402
    ServerConfig,
    choose_spans,
    free_port,
    gunicorn_command,
    log_path,
    next_shown,
    parse_page,
    process,
    server_env,
    session_for,
    wait_healthy,
)
from bench.peers_cpu import ServerCpu, percentile  # noqa: E402
from bench.scaled import member  # noqa: E402

SLUG = "bench-peers"
SPANS = 10
IMPORT_REPEATS = 2  # per side; the faster import counts
SERVER = ServerConfig(workers=2, threads=2)  # as bench/load.py and `make run` serve
MARK_START = "<!-- bench-peers: start -->"
MARK_END = "<!-- bench-peers: end -->"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spans_of(text: str, rng: random.Random) -> list[tuple[int, int]]:
    return sorted(choose_spans(text, rng, SPANS))


def newsapp_side(path: Path, annotate: int, samples: int) -> dict:
    import_s = float("inf")
    for _ in range(IMPORT_REPEATS):  # the best of them: the machine is shared
        Project.objects.filter(slug=SLUG).delete()
        project, _ = Project.objects.get_or_create_with_labels(SLUG)
        started = time.perf_counter()
        run = import_paths([path], project=project, format="jsonl")
        import_s = min(import_s, time.perf_counter() - started)
        log(f"newsapp: import {run.imported} in {time.perf_counter() - started:.1f} s")
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    started = time.perf_counter()
    Document.objects.for_project(project).fill_search()
    indexed_s = time.perf_counter() - started
    session = session_for(member(project, "bench-peers-annotator", "annotator"))
    token = token_for(project)
    labels = list(
        Label.objects.filter(project=project, kind=Label.Kind.ENTITY).values_list(
            "pk", flat=True
        )
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(SERVER.threads)
    with process(
        gunicorn_command(SERVER, port), name="peers-gunicorn", env=env
    ) as child:
        wait_healthy(base, child, "peers-gunicorn")
        cpu = ServerCpu(child.pid)
        with httpx.Client(
            base_url=base, cookies={"sessionid": session}, timeout=120
        ) as client:
            figures = annotate_newsapp(client, cpu, labels, annotate)
            pages = figures.pop("pages")
            figures["page_ms_p50"] = percentile(
                timed(lambda n: client.get(pages[n % len(pages)]), samples), 50
            )
            figures["list_ms_p50"] = percentile(
                timed(lambda n: client.get(f"/p/{SLUG}/", params={"page": 1}), samples),
                50,
            )
        figures["export_s"], figures["export_mb"] = export_newsapp(base, token)
        figures["rss_mb"] = cpu.rss_mb()
    return {
        "import_s": round(import_s, 2),
        "import_docs_per_s": round(run.imported / import_s),
        "indexed_after_s": round(indexed_s, 1),
        **figures,
        "actions_per_document": f"next + page + {SPANS} span saves + submit",
    }


def annotate_newsapp(client: httpx.Client, cpu: ServerCpu, labels, count: int) -> dict:
    rng = random.Random(7)
    per_doc, per_action, pages = (
        [],
        {"next": [], "page": [], "span": [], "submit": []},
        [],
    )
    for _ in range(count):
        doc_started = mark = cpu.seconds()
        answer = client.get(f"/p/{SLUG}/next/")
        location = answer.headers.get("location", "")
        found = re.search(r"/a/(\d+)/$", location)
        if found is None:
            raise SystemExit(f"newsapp: next gave no document ({answer.status_code})")
        mark = step(cpu, mark, per_action["next"])
        answer = client.get(location)
        answer.raise_for_status()
        mark = step(cpu, mark, per_action["page"])
        page = parse_page(int(found.group(1)), location, answer.text)
        if page is None:
            raise SystemExit("newsapp: the annotation page could not be read")
        pages.append(location)
        # The text as stored (the page's markup holds more than the text).
        text = Assignment.objects.get(pk=page.assignment).document.text
        for start, end in spans_of(text, rng):
            data = {"start": start, "end": end, "text": text[start:end]}
            change(client, page, "spans/", {**data, "label": rng.choice(labels)})
            mark = step(cpu, mark, per_action["span"])
        change(client, page, "submit/", {})
        mark = step(cpu, mark, per_action["submit"])
        per_doc.append(mark - doc_started)
    return {
        "cpu_ms_per_document": round(1000 * sum(per_doc) / len(per_doc), 1),
        "cpu_ms_per_action": {
            kind: round(1000 * sum(values) / len(values), 1)
            for kind, values in per_action.items()
        },
        "pages": pages,
    }


def change(client: httpx.Client, page, action: str, data: dict) -> None:
    headers = {"HX-Request": "true", "X-CSRFToken": page.csrf}
    data = {**data, "version": page.version, **page.shown}  # as annotate.js sends it
    answer = client.post(page.path + action, data=data, headers=headers)
    if answer.status_code >= 400:
        raise SystemExit(
            f"newsapp: {action} answered {answer.status_code}: {answer.text[:300]}"
        )
    page.version, page.shown = next_shown(answer, page)


def step(cpu: ServerCpu, mark: float, into: list[float]) -> float:
    now = cpu.seconds()
    into.append(now - mark)
    return now


def timed(call, samples: int) -> list[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        call(n).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def export_newsapp(base: str, token: str) -> tuple[float, float]:
    """Every document in the `full` format, streamed by the API (what LS's JSON is)."""
    started, size = time.perf_counter(), 0
    with httpx.stream(
        "GET",
        f"{base}/api/v1/projects/{SLUG}/exports/stream/",
        params={"format": "full", "selection": "all"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=3600,
    ) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            size += len(chunk)
    return round(time.perf_counter() - started, 2), round(size / 1e6, 1)


def labelstudio_side(articles: list[dict], annotate: int, samples: int) -> dict:
    try:
        installed_s = peers_ls.ensure_installed(log)
        rng = random.Random(7)
        port = free_port()
        with peers_ls.running(port, log_path("peers-labelstudio"), log) as ls:
            figures = peers_ls.measure(
                ls,
                articles,
                annotate,
                samples,
                lambda text: spans_of(text, rng),
                log,
                repeats=IMPORT_REPEATS,
            )
    except (RuntimeError, httpx.HTTPError, OSError) as error:
        log(f"label studio: {error}")
        return {"error": str(error)[:500]}
    if installed_s is not None:
        figures["install_s"] = round(installed_s)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 documents")
    parser.add_argument("--documents", type=int)
    parser.add_argument("--annotate", type=int, help="documents annotated per side")
    parser.add_argument("--samples", type=int, default=50, help="page and list GETs")
    parser.add_argument("--skip-labelstudio", action="store_true")
    parser.add_argument(
        "--markdown", type=Path, help="write the section into this file"
    )
    args = parser.parse_args()
    documents = args.documents or (1_000 if args.quick else 10_000)
    annotate = args.annotate or (10 if args.quick else 30)
    folder = Path(settings.VAR_DIR) / "bench"
    path = write_jsonl(folder / f"peers-articles-{documents}.jsonl", documents, seed=7)
    articles = [json.loads(line) for line in path.open(encoding="utf-8")]
    started = datetime.now(UTC)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "documents": documents,
        "annotated": annotate,
        "newsapp": newsapp_side(path, annotate, args.samples),
    }
    if not args.skip_labelstudio:
        report["labelstudio"] = labelstudio_side(articles, annotate, args.samples)
    (folder / "peers.json").write_text(json.dumps(report, indent=2))
    table = markdown(report)
    print(table)
    if args.markdown:
        write_section(args.markdown, table)


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def markdown(report: dict) -> str:
    ours, theirs = report["newsapp"], report.get("labelstudio") or {}
    rows = [
        ("import, docs/s", "import_docs_per_s", True),
        ("server CPU per annotated document, ms", "cpu_ms_per_document", False),
        ("document page p50, ms", "page_ms_p50", False),
        ("document list p50, ms", "list_ms_p50", False),
        ("export of every document, s", "export_s", False),
        ("server RSS after the run, MB", "rss_mb", False),
    ]
    lines = [
        MARK_START,
        "## Beside Label Studio (`make bench-peers`)",
        "",
        f"`python bench/peers.py` on {report['date']}: {report['machine']}, "
        f"{report['documents']:,} generated articles, {report['annotated']} documents "
        "annotated by one sequential client per side over loopback, both on the embedded "
        "PostgreSQL (Label Studio in a database of its own). Label Studio 1.23.2 runs its "
        "own `label-studio start`; newsapp runs gunicorn, gthread 2 workers x 2 threads. "
        f"Import: the faster of {IMPORT_REPEATS} into a fresh project per side (newsapp's "
        "loader in process, Label Studio's one POST of every task). "
        "Server CPU is read from /proc/<pid>/stat of the server's processes. Figures in "
        "`var/bench/peers.json`.",
        "",
        "| | Label Studio | newsapp | newsapp better by |",
        "| --- | --- | --- | --- |",
    ]
    for title, key, higher_better in rows:
        a, b = theirs.get(key), ours.get(key)
        ratio = ""
        if a and b:
            ratio = f"{(b / a if higher_better else a / b):.2f}×"
        lines.append(f"| {title} | {fmt(a)} | {fmt(b)} | {ratio} |")
    lines.append(
        f"| what one annotated document is | {theirs.get('actions_per_document', '')} "
        f"| {ours['actions_per_document']} | |"
    )
    for kind, value in ours["cpu_ms_per_action"].items():
        lines.append(f"| newsapp server CPU per {kind}, ms | | {value} | |")
    for kind, value in (theirs.get("cpu_ms_per_action") or {}).items():
        lines.append(f"| Label Studio server CPU per {kind}, ms | {value} | | |")
    lines += [
        "",
        f"newsapp's imported documents are found by search at once (the search computes "
        f"the vector of a document whose vector is not stored yet); the follow-up task "
        f"stored every vector {ours['indexed_after_s']} s after the import.",
    ]
    if "error" in theirs:
        lines += ["", f"Label Studio did not run: {theirs['error']}"]
    lines.append(MARK_END)
    return "\n".join(lines)


def fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,}" if isinstance(value, int) else str(value)


def write_section(path: Path, table: str) -> None:
    """Replace the section between the markers, or add it at the end (of a new file
    when there is none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        text = head + table + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
