"""The benchmark report: the scale issue's targets checked against a run's figures, and
the figures as a text table (the terminal) and as Markdown (docs/benchmarks.md)."""

from __future__ import annotations

# Views whose work is one document's: their time must not grow with the corpus.
PER_DOCUMENT = (
    "annotation page (500 spans)",
    "add span (htmx)",
    "relabel span (htmx)",
    "delete span (htmx)",
    "link entity (htmx)",
    "stance (htmx)",
    "rating (htmx)",
    "dismiss suggestion (htmx)",
    "undo (htmx)",
    "submit (htmx)",
    "next document",
    "review screen",
)
PER_DOCUMENT_P95_MS = 50
# A span save's server time at p50, on the 500-span page with 5,000 strings to suggest.
SPAN_SAVE = "add span, 5,000-term vocabulary (htmx)"
SPAN_SAVE_P50_MS = 5
MEMORY_GROWTH = 1.25  # peak RSS at the biggest export over the smallest
# docs/benchmarks.md ends with notes written by hand (how the parts measure, what keeps
# the screens flat); a new report replaces what is above this line and keeps the rest.
NOTES_MARKER = (
    "<!-- Written by hand from here on: make bench rewrites only what is above. -->"
)


def _search_delay(figures: dict) -> str:
    search = figures.get("search")
    return f"{search['indexed_after_s']} s" if search else ""


# Why a target is missed, as measured while working on it (shown for missed ones).
WHY_MISSED = {
    "import": "The loader no longer computes the full-text vectors (a follow-up task "
    "stores them, migration 0020); what is left is Python reading and hashing each "
    "record and PostgreSQL compressing text and raw input into TOAST, which the raw COPY "
    "into a plain table does too. On 2026-12-05 20,000 articles gave 0.70 of the raw "
    "COPY on a quiet machine and 0.47 on a busy one.",
    "export rate": "Each span line is a JSON object built in Python from the document, "
    "the annotator and the span; the baseline is PostgreSQL's own text output. Across "
    "full runs on this shared machine the ratio was 0.25 to 0.46.",
    "per-document views p95": "The views of a 500-span document spend most of their "
    "time in Python: the nested marks, the span rows, the template. The time and the "
    "query count do not grow with the corpus (compare the two sizes), only with the "
    "spans of the document itself.",
    "beside Label Studio": "Two make bench-peers runs on 2026-12-05 gave newsapp 0.96 "
    "and 0.98 of Label Studio's CPU per annotated document: the margin is a few ms, "
    "and most of newsapp's share is its 10 span saves (10-11 ms of server CPU each).",
    "span save p50": "In process a save costs 16-19 ms: Django's request cycle (session, "
    "user, CSRF, the project role: about 4 ms for a view doing only that), 13 queries "
    "(version check, row lock, insert, undo record, progress) whose triggers keep the "
    "counters, the vocabulary and the review state (about 2 ms of PostgreSQL per span "
    "inserted), and the redraw of the changed paragraphs. Under gunicorn, make "
    "bench-peers measures 10-11 ms of server CPU a save, against 47 ms for Label "
    "Studio's one annotation POST. 5 ms is about Django's request cycle alone.",
    "load test actions/s": "An annotator action costs 8-20 ms of gunicorn CPU (make "
    "bench-peers: next 8, page 20, span 10-11, submit 8) and a few ms of PostgreSQL, "
    "against about 0.5 ms for the trivial view, which reads no session, user or table; "
    "the 50 simulated annotators, the servers and PostgreSQL share the same 2 cores. "
    "0.3 would need a whole action, database included, in about 3 ms of CPU.",
}


def why_missed(name: str) -> str:
    return next((why for key, why in WHY_MISSED.items() if key in name), "")


def target(name: str, wanted: str, measured: str, met: bool) -> dict:
    return {"target": name, "wanted": wanted, "measured": measured, "met": met}


def targets(report: dict) -> list[dict]:
    found = []
    if "import" in report:
        ratio = report["import"]["ratio"]
        found.append(
            target("import rate / raw COPY", "≥ 0.5", f"{ratio:.2f}", ratio >= 0.5)
        )
    if "export" in report:
        found += export_targets(report["export"])
    if "views" in report:
        found += view_targets(report["views"])
    if "load" in report:
        found += load_targets(report["load"])
    if "api" in report:
        found += api_targets(report["api"])
    if "large" in report:
        found += large_document_targets(report["large"])
    if "peers" in report:
        found += peers_targets(report["peers"])
    return found


LARGE_OPEN_S = 1.0
# A change answers with the paragraphs it redrew and the part's span list.
LARGE_CHANGE_BYTES = 100_000


def large_document_targets(large: dict) -> list[dict]:
    """Issue 19: a 5 MB article opens in under a second, and a change never answers
    with the whole document."""
    size = f"{large['document characters'] / 1e6:.1f} M-character article"
    opened, answer = large["open page p50 s"], large["span save response bytes"]
    return [
        target(f"{size}: page opens (p50)", f"< {LARGE_OPEN_S:.0f} s", f"{opened} s",
               opened < LARGE_OPEN_S),
        target(f"{size}: span save answer", f"≤ {LARGE_CHANGE_BYTES:,} bytes",
               f"{answer:,} bytes", answer <= LARGE_CHANGE_BYTES),
    ]  # fmt: skip


API_RATIO = 0.8
API_GET_P95_MS = 30


def api_targets(api: dict) -> list[dict]:
    """The API issue's targets: bulk create and the streamed export at least 0.8x the
    commands, flat memory, one document with its annotations fast at any size."""
    bulk = api["bulk"]
    small, big = api["export"][0], api["export"][-1]
    growth = big["worker_peak_rss_mb"] / small["worker_peak_rss_mb"]
    first, last = api["get"][0], api["get"][-1]
    slowest = max(last["document"]["p95_ms"], last["annotations"]["p95_ms"])
    grown = [
        f"{name} ({first[name]['queries']} → {last[name]['queries']})"
        for name in ("document", "annotations")
        if first[name]["queries"] != last[name]["queries"]
    ]
    return [
        target(
            f"API bulk create / import_documents, {bulk['documents']:,} documents",
            f"≥ {API_RATIO}",
            f"{bulk['api_docs_per_s']:,} / {bulk['command_docs_per_s']:,} docs/s = {bulk['ratio']:.2f}",
            bulk["ratio"] >= API_RATIO,
        ),
        target(
            f"API streamed export / export_annotations at {big['spans']:,} spans",
            f"≥ {API_RATIO}",
            f"{big['api_spans_per_s']:,} / {big['command_spans_per_s']:,} spans/s = {big['ratio']:.2f}",
            big["ratio"] >= API_RATIO,
        ),
        target(
            f"API export worker peak memory, {small['spans']:,} → {big['spans']:,} spans",
            f"≤ {MEMORY_GROWTH}×",
            f"{small['worker_peak_rss_mb']:.0f} → {big['worker_peak_rss_mb']:.0f} MB ({growth:.2f}×)",
            growth <= MEMORY_GROWTH,
        ),
        target(
            f"API GET document and its annotations p95 at {last['documents']:,} documents",
            f"≤ {API_GET_P95_MS} ms",
            f"{last['document']['p95_ms']:.0f} and {last['annotations']['p95_ms']:.0f} ms",
            slowest <= API_GET_P95_MS,
        ),
        target(
            f"API GET query counts, {first['documents']:,} → {last['documents']:,} documents",
            "unchanged",
            ", ".join(grown) or "unchanged",
            not grown,
        ),
    ]


def api_section(api: dict) -> str:
    bulk = api["bulk"]
    rows = [
        [
            f"bulk create, {bulk['documents']:,} docs ({bulk['file_mb']} MB NDJSON)",
            f"{bulk['command_docs_per_s']:,} docs/s",
            f"{bulk['api_docs_per_s']:,} docs/s",
            f"{bulk['ratio']:.2f}",
            "",
        ]
    ]
    rows += [
        [
            f"streamed spans export, {size['spans']:,} spans",
            f"{size['command_spans_per_s']:,} spans/s ({size['command_peak_rss_mb']:.0f} MB)",
            f"{size['api_spans_per_s']:,} spans/s ({size['worker_peak_rss_mb']:.0f} MB)",
            f"{size['ratio']:.2f}",
            f"first line {size['first_line_ms']:.0f} ms",
        ]
        for size in api["export"]
    ]
    gets = [
        [
            f"GET {name}, {size['documents']:,} docs",
            "",
            f"p50 {size[name]['p50_ms']:.0f} / p95 {size[name]['p95_ms']:.0f} ms",
            "",
            f"{size[name]['queries']} queries",
        ]
        for size in api["get"]
        for name in ("document", "annotations")
    ]
    header = ["", "command", "API (gunicorn worker's peak RSS)", "ratio", ""]
    return markdown_table(header, rows + gets)


def export_targets(sizes: list[dict]) -> list[dict]:
    small, big = sizes[0], sizes[-1]
    growth = big["peak_rss_mb"] / small["peak_rss_mb"]
    return [
        target(
            f"export rate / raw COPY-out at {big['spans']:,} spans",
            "≥ 0.3",
            f"{big['ratio']:.2f}",
            big["ratio"] >= 0.3,
        ),
        target(
            f"export peak memory, {small['spans']:,} → {big['spans']:,} spans",
            f"≤ {MEMORY_GROWTH}×",
            f"{small['peak_rss_mb']:.0f} → {big['peak_rss_mb']:.0f} MB ({growth:.2f}×)",
            growth <= MEMORY_GROWTH,
        ),
    ]


def view_targets(sizes: list[dict]) -> list[dict]:
    small, big = sizes[0], sizes[-1]
    measured = [name for name in PER_DOCUMENT if name in big["views"]]
    slowest = max(measured, key=lambda name: big["views"][name]["p95_ms"])
    worst = big["views"][slowest]["p95_ms"]
    grown = [
        f"{name} ({small['views'][name]['queries']} → {big['views'][name]['queries']})"
        for name in measured
        if big["views"][name]["queries"] != small["views"][name]["queries"]
    ]
    return [
        target(
            f"per-document views p95 at {big['spans']:,} spans",
            f"≤ {PER_DOCUMENT_P95_MS} ms",
            f"slowest: {slowest}, {worst:.0f} ms",
            worst <= PER_DOCUMENT_P95_MS,
        ),
        target(
            f"per-document query counts, {small['documents']:,} → {big['documents']:,} documents",
            "unchanged",
            ", ".join(grown) or "unchanged",
            not grown,
        ),
        *span_save_targets(big),
    ]


def span_save_targets(big: dict) -> list[dict]:
    if SPAN_SAVE not in big["views"]:
        return []
    p50 = big["views"][SPAN_SAVE]["p50_ms"]
    return [
        target(
            f"span save p50, 500 spans and 5,000 strings, {big['documents']:,} documents",
            f"≤ {SPAN_SAVE_P50_MS} ms",
            f"{p50:.1f} ms",
            p50 <= SPAN_SAVE_P50_MS,
        )
    ]


def peers_targets(peers: dict) -> list[dict]:
    """Issue 20: an annotated document costs the server less CPU than in Label Studio,
    both measured in the same `make bench-peers` run (var/bench/peers.json)."""
    theirs = (peers.get("labelstudio") or {}).get("cpu_ms_per_document")
    if not theirs:
        return []
    ours = peers["newsapp"]["cpu_ms_per_document"]
    return [
        target(
            f"server CPU per annotated document beside Label Studio "
            f"(make bench-peers, {peers['date'][:10]})",
            f"≤ {theirs:.0f} ms (Label Studio)", f"{ours:.0f} ms", ours <= theirs,
        )
    ]  # fmt: skip


def load_targets(load: dict) -> list[dict]:
    ratio = load["actions_per_s"] / load["ceiling_per_s"]
    faults = {
        "errors": load["errors"],
        "lost writes": load["lost_writes"],
        "duplicated writes": load["duplicated_writes"],
        "over-assigned documents": load["over_assigned"],
    }
    return [
        target(
            f"load test, {load['annotators']} annotators for {load['seconds']} s",
            "no error, no lost or doubled write",
            ", ".join(f"{count} {what}" for what, count in faults.items()),
            not any(faults.values()),
        ),
        target(
            "load test actions/s / trivial view requests/s",
            "≥ 0.3",
            f"{load['actions_per_s']:.0f} / {load['ceiling_per_s']:.0f} = {ratio:.2f}",
            ratio >= 0.3,
        ),
    ]


def view_rows(sizes: list[dict]) -> tuple[list[str], list[list[str]]]:
    """One row per view: p50 / p95 ms and queries at each size."""
    header = ["view"] + [
        f"{size['documents']:,} docs: p50 / p95 ms (queries)" for size in sizes
    ]
    rows = []
    for name in sizes[-1]["views"]:
        cells = [name]
        for size in sizes:
            figures = size["views"].get(name)
            cells.append(
                f"{figures['p50_ms']:.0f} / {figures['p95_ms']:.0f} ({figures['queries']})"
                if figures
                else "–"
            )
        rows.append(cells)
    return header, rows


def target_rows(report: dict) -> tuple[list[str], list[list[str]]]:
    rows = [
        [
            item["target"],
            item["wanted"],
            item["measured"],
            "met" if item["met"] else "MISSED",
        ]
        for item in report["targets"]
    ]
    return ["target", "wanted", "measured", ""], rows


def text_table(report: dict) -> str:
    lines = []
    tables = [target_rows(report)]
    if "views" in report:
        tables.append(view_rows(report["views"]))
    for header, rows in tables:
        widths = [
            max(len(str(c)) for c in column)
            for column in zip(header, *rows, strict=True)
        ]
        for cells in (header, *rows):
            lines.append(
                "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            )
        lines.append("")
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(report: dict) -> str:
    machine = report["machine"]
    parts = [
        "# Benchmarks",
        f"`make bench` ({report['run']} run) on {report['started_at']}, "
        f"{report['seconds'] // 60} min {report['seconds'] % 60} s. "
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, "
        f"{machine['os']}, Python {machine['python']}, PostgreSQL {machine['postgresql']} "
        f"({machine['database']}). The figures are in `var/bench/report.json`.",
        "## Targets",
        markdown_table(*target_rows(report)),
        missed_notes(report),
    ]
    if "import" in report:
        parts += [
            "## Import",
            markdown_table(
                [
                    "documents",
                    "import docs/s",
                    "raw COPY rows/s",
                    "ratio",
                    "search vectors stored after",
                ],
                [
                    [
                        f"{report['import']['documents']:,}",
                        f"{report['import']['import_docs_per_s']:,}",
                        f"{report['import']['raw_copy_rows_per_s']:,}",
                        f"{report['import']['ratio']:.2f}",
                        _search_delay(report["import"]),
                    ]
                ],
            ),  # fmt: skip
            "Imported documents are found by the search at once: until the follow-up "
            "task has stored their vectors, the search computes them (the partial index "
            "document_search_pending finds those documents).",
        ]
    if "export" in report:
        parts += [
            "## Export (`--format spans --all`)",
            markdown_table(
                [
                    "documents",
                    "spans",
                    "export spans/s",
                    "COPY spans/s",
                    "ratio",
                    "peak RSS",
                ],
                [
                    [
                        f"{size['documents']:,}",
                        f"{size['spans']:,}",
                        f"{size['export_spans_per_s']:,}",
                        f"{size['copy_spans_per_s']:,}",
                        f"{size['ratio']:.2f}",
                        f"{size['peak_rss_mb']:.0f} MB",
                    ]
                    for size in report["export"]
                ],
            ),  # fmt: skip
        ]
    if "views" in report:
        parts += [
            "## Server time per view (in-process test client, no network)",
            markdown_table(*view_rows(report["views"])),
            *filter(None, map(labelled_line, report["views"])),
        ]
    if "load" in report:
        parts += [
            "## Load test",
            "```\n" + report["load"].get("table", json_block(report["load"])) + "\n```",
        ]
    if "api" in report:
        parts += [
            "## REST API (beside the commands, in the same run)",
            api_section(report["api"]),
        ]
    if "large" in report:
        parts += [
            "## One long article on the annotation screen (bench/large_document.py)",
            "```\n" + json_block(report["large"]) + "\n```",
        ]
    return "\n\n".join(parts) + "\n"


def labelled_line(size: dict) -> str:
    """One annotated document's server CPU in process (the figure beside Label Studio
    is make bench-peers', read from the servers' processes)."""
    labelled = size.get("labelled_document")
    if not labelled:
        return ""
    return (
        f"A labelled document (next, page, 10 span saves, submit) at "
        f"{size['documents']:,} documents: {labelled['cpu_ms_p50']:.0f} ms of server "
        f"CPU at p50 ({labelled['python_ms_p50']:.0f} Django, "
        f"{labelled['postgres_ms_p50']:.0f} PostgreSQL)."
    )


def with_kept_notes(report_markdown: str, previous: str) -> str:
    """The new report, followed by the hand-written notes of the previous file (from
    NOTES_MARKER on), if it had any."""
    at = previous.find(NOTES_MARKER)
    return report_markdown if at < 0 else report_markdown + "\n" + previous[at:]


def missed_notes(report: dict) -> str:
    notes = [
        f"- **{item['target']}** ({item['measured']}, wanted {item['wanted']}): "
        f"{why_missed(item['target'])}"
        for item in report["targets"]
        if not item["met"]
    ]
    return "Where a target is missed, why:\n\n" + "\n".join(notes) if notes else ""


def json_block(figures: dict) -> str:
    import json

    return json.dumps(figures, indent=2)
