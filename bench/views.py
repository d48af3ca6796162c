"""Server time (p50/p95) and SQL query count of every screen an annotator or reviewer
waits on, in-process through Django's test client (no network, no browser), on
projects of several sizes so that growth with the corpus shows.

    python bench/views.py [--documents 1000 100000] [--runs 20] [--json FILE]

Each size is a bench/scaled.py project (about 10 spans per document, three annotators
each). Into it goes, for the run only, one long document on which an annotator has 500
spans: the annotation page and its htmx actions are timed there; then again, for the
page and a span save, with the project's suggestion vocabulary grown to 5,000 strings
(another document's spans, in part strings found in the long one). Last, the server
CPU of one labelled document as issue 20 compares it with Label Studio's: next, the
page, 10 span saves and submit on one of the project's ~3 KB documents, this process's
CPU (Django, and the test client's small share) plus PostgreSQL's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
os.environ.setdefault("NEWSAPP_PLAIN_STATIC", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate.ingest.records import DocumentRecord  # noqa: E402
from annotate.labelling import queue  # noqa: E402
from annotate.models import (  # noqa: E402
    Assignment,
    Document,
    Label,
    Project,
    Span,
    StanceTarget,
)
from bench.corpus import articles  # noqa: E402
from bench.scaled import (  # noqa: E402
    SENTENCE,
    SPAN_PLACES,
    member,
    scaled_project,
)

SPANS_ON_PAGE = 500
VOCABULARY_TERMS = 5_000


@dataclass
class Case:
    """One request to time: `prepare` runs untimed before each try (it may return the
    data to send, e.g. the current version for undo)."""

    method: str
    url: str
    data: dict = field(default_factory=dict)
    htmx: bool = False
    prepare: Callable[[], dict | None] | None = None


@dataclass
class World:
    project: Project
    document: Document  # the long one, with the 500 spans
    assignment: Assignment
    annotator: object
    newcomer: object  # presses next and gets a new document every time
    reviewer: object


def long_document(project: Project) -> Document:
    text = "\n\n".join(item["text"] for item in articles(8, seed=3))
    record = DocumentRecord(text=text, raw=text, origin="bench")
    return Document.objects.create(
        project=project,
        text=text,
        raw=text,
        title="Bench: the long one",
        content_hash=record.content_hash,
    )


def add_spans(assignment: Assignment, count: int) -> None:
    text = assignment.document.text
    labels = list(
        Label.objects.filter(project=assignment.document.project_id, kind="entity")
    )
    words = [(m.start(), m.end()) for m in re.finditer(r"[A-Z]\w+", text)]
    step = max(1, len(words) // count)
    Span.objects.bulk_create(
        Span(
            assignment=assignment,
            start=start,
            end=end,
            text=text[start:end],
            label=labels[number % len(labels)],
        )
        for number, (start, end) in enumerate(words[::step][:count])
    )


def set_up(documents: int) -> World:
    project = scaled_project(documents)
    # A slot free on every document, so `next` has work to hand out at any size.
    Project.objects.filter(pk=project.pk).update(overlap=4)
    project.refresh_from_db()
    StanceTarget.objects.get_or_create(
        project=project, name="Russian influence in Africa"
    )
    for name in ("bench-annotator-0", "bench-annotator-1", "bench-annotator-2"):
        member(project, name, "annotator")
    annotator = member(project, "bench-viewer", "annotator")
    document = long_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    add_spans(assignment, SPANS_ON_PAGE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return World(
        project=project,
        document=document,
        assignment=assignment,
        annotator=annotator,
        newcomer=member(project, "bench-newcomer", "annotator"),
        reviewer=member(project, "bench-reviewer", "reviewer"),
    )


def tear_down(world: World) -> None:
    """Leave the project as scaled_project built it, for the export benchmark."""
    Assignment.objects.filter(
        document__project=world.project, annotator=world.newcomer
    ).delete()
    world.document.delete()
    Document.objects.filter(project=world.project, title=VOCABULARY_TITLE).delete()


VOCABULARY_TITLE = "Bench: the vocabulary"
VOCABULARY_CASES = (
    "annotation page, 5,000-term vocabulary",
    "add span, 5,000-term vocabulary (htmx)",
    "delete span, 5,000-term vocabulary (htmx)",
)


def grow_vocabulary(world: World) -> int:
    """Another annotator labels VOCABULARY_TERMS strings, one a line of a document of
    their own: the names (runs of capitalised words) of other generated articles, many
    of which the long document holds too, then made-up names found nowhere."""
    names: dict[str, None] = {}
    for item in articles(40, seed=11):
        for match in re.finditer(r"[A-Z]\w+(?: [A-Z]\w+){0,2}", item["text"]):
            names.setdefault(match.group())
    number = 0
    while len(names) < VOCABULARY_TERMS:
        names.setdefault(f"Ndiaye{number} Kourouma{number}")
        number += 1
    terms = list(names)[:VOCABULARY_TERMS]
    text = "\n".join(terms)
    document = Document.objects.create(
        project=world.project, text=text, raw=text, title=VOCABULARY_TITLE,
        content_hash=DocumentRecord(text=text, raw=text, origin="bench").content_hash,
    )  # fmt: skip
    labeller = member(world.project, "bench-annotator-0", "annotator")
    assignment = Assignment.objects.create(document=document, annotator=labeller)
    labels = list(Label.objects.filter(project=world.project, kind="entity"))
    spans, start = [], 0
    for number, term in enumerate(terms):
        end = start + len(term)
        label = labels[number % len(labels)]
        spans.append(
            Span(assignment=assignment, start=start, end=end, text=term, label=label)
        )
        start = end + 1
    Span.objects.bulk_create(spans)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_span")
    cache.clear()  # the vocabulary is read afresh
    return len(terms)


def vocabulary_cases(world: World) -> dict[str, Case]:
    """The page and span saves once the vocabulary has VOCABULARY_TERMS strings."""
    grow_vocabulary(world)
    cases = annotation_cases(world)
    return {
        "annotation page, 5,000-term vocabulary": cases["annotation page (500 spans)"],
        "add span, 5,000-term vocabulary (htmx)": cases["add span (htmx)"],
        "delete span, 5,000-term vocabulary (htmx)": cases["delete span (htmx)"],
    }


def annotation_cases(world: World) -> dict[str, Case]:
    project, assignment = world.project, world.assignment
    text = world.document.text
    start = text.index(" ") + 1
    end = text.index(" ", start)
    labels = {(label.kind, label.name): label.pk for label in project.labels.all()}
    person = labels[("entity", "PERSON")]
    first_span = Span.objects.filter(assignment=assignment).order_by("id").first()
    on = [project.slug, assignment.pk]

    def current_version() -> dict:
        return {
            "version": Assignment.objects.values_list("version", flat=True).get(
                pk=assignment.pk
            )
        }

    def no_span_there() -> None:
        Span.objects.filter(assignment=assignment, start=start, end=end).delete()

    def a_span_to_delete() -> dict:
        no_span_there()
        span = Span.objects.create(
            assignment=assignment, start=start, end=end, text=text[start:end],
            label_id=person,
        )  # fmt: skip
        cases["delete span (htmx)"].url = reverse(
            "annotate:span-delete", args=[*on, span.pk]
        )
        return current_version()

    def reopen() -> None:
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.ASSIGNED
        )

    cases = {
        "annotation page (500 spans)": Case(
            "get", reverse("annotate:annotate", args=on)
        ),
        "add span (htmx)": Case(
            "post",
            reverse("annotate:span-create", args=on),
            {"start": start, "end": end, "text": text[start:end], "label": person},
            htmx=True,
            prepare=no_span_there,
        ),
        "relabel span (htmx)": Case(
            "post",
            reverse("annotate:span-relabel", args=[*on, first_span.pk]),
            {"label": person},
            htmx=True,
        ),
        "delete span (htmx)": Case("post", "", htmx=True, prepare=a_span_to_delete),
        "link entity (htmx)": Case(
            "post",
            reverse("annotate:span-link", args=[*on, first_span.pk]),
            {"new_name": first_span.text},
            htmx=True,
        ),
        "stance (htmx)": Case(
            "post",
            reverse("annotate:stance-set", args=on),
            {
                "target": project.stance_targets.get().pk,
                "label": labels[("stance", "favor")],
            },
            htmx=True,
        ),
        "rating (htmx)": Case(
            "post",
            reverse("annotate:rating-set", args=on),
            {
                "source": "AFP",
                "role": "cited",
                "label": labels[("reliability", "high")],
            },
            htmx=True,
        ),
        "dismiss suggestion (htmx)": Case(
            "post",
            reverse("annotate:suggestion-dismiss", args=on),
            {"start": start, "end": end, "label": person},
            htmx=True,
        ),
        # Undo checks the version the screen showed; here it is read before each try.
        "undo (htmx)": Case(
            "post",
            reverse("annotate:undo", args=on),
            htmx=True,
            prepare=current_version,
        ),
        "submit (htmx)": Case(
            "post", reverse("annotate:submit", args=on), htmx=True, prepare=reopen
        ),
    }
    return cases


def newcomer_cases(world: World) -> dict[str, Case]:
    def release_the_last() -> None:
        for assignment in Assignment.objects.by(world.newcomer).open():
            queue.release(assignment)

    next_url = reverse("annotate:next", args=[world.project.slug])
    return {"next document": Case("get", next_url, prepare=release_the_last)}


def reviewer_cases(world: World) -> dict[str, Case]:
    slug = world.project.slug
    listing = reverse("annotate:document-list", args=[slug])
    # Every generated text ends in its number: "777" finds one document.
    return {
        "project list": Case("get", reverse("annotate:project-list")),
        "document list": Case("get", listing),
        "document list, search (one match)": Case(
            "get", listing, {"q": "777"}, htmx=True
        ),
        "document list, search (every document)": Case(
            "get", listing, {"q": SENTENCE.split()[1]}, htmx=True
        ),
        "review queue": Case("get", reverse("annotate:review-queue", args=[slug])),
        "review screen": Case(
            "get",
            reverse(
                "annotate:adjudicate", args=[slug, world.project.documents.first().pk]
            ),
        ),
        "statistics": Case("get", reverse("annotate:project-stats", args=[slug])),
    }


def shown_drawing(response) -> str:
    """The fingerprint of the text a change's answer leaves on the screen."""
    trigger = json.loads(response.headers.get("HX-Trigger") or "{}")
    return trigger.get("versionChanged", {}).get("drawn", "")


def measure(client: Client, case: Case, runs: int) -> dict:
    timings, queries = [], 0
    headers = {"HX-Request": "true"} if case.htmx else {}
    shown = {}  # the drawing the screen shows, as annotate.js sends it with a change
    for _ in range(runs):
        data = {**case.data, **shown, **((case.prepare and case.prepare()) or {})}
        connection.queries_log.clear()  # it keeps 9,000: a full one captures nothing
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = getattr(client, case.method)(case.url, data, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            raise SystemExit(
                f"{case.method.upper()} {case.url} answered {response.status_code}"
            )
        queries = len(captured.captured_queries)
        if case.htmx and (drawn := shown_drawing(response)):
            shown = {"drawn": drawn}
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[round(0.95 * (len(timings) - 1))], 1),
        "queries": queries,
    }


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def measure_size(documents: int, runs: int, skip: list[str]) -> dict:
    world = set_up(documents)
    try:
        spans = Span.objects.filter(assignment__document__project=world.project)
        figures = {"documents": documents, "spans": spans.count(), "views": {}}
        phases = [
            (world.annotator, annotation_cases),
            (world.newcomer, newcomer_cases),
            (world.reviewer, reviewer_cases),
        ]
        if not all(any(word in name for word in skip) for name in VOCABULARY_CASES):
            phases.append((world.annotator, vocabulary_cases))
        for person, cases_of in phases:
            client = client_for(person)
            for name, case in cases_of(world).items():
                if any(word in name for word in skip):
                    continue
                measure(client, case, 2)  # warm the caches the way a session would
                figures["views"][name] = measure(client, case, runs)
                print_row(documents, name, figures["views"][name])
        if not any(word in "labelled document" for word in skip):
            labelled = figures["labelled_document"] = labelled_document(world, runs)
            print(
                f"{documents:>9,}  labelled document (next, page, {LABELLED_SPANS} span "
                f"saves, submit): server CPU p50 {labelled['cpu_ms_p50']:.1f} ms = "
                f"{labelled['python_ms_p50']:.1f} Django + "
                f"{labelled['postgres_ms_p50']:.1f} PostgreSQL",
                flush=True,
            )
        return figures
    finally:
        tear_down(world)


LABELLED_SPANS = 10


def postgres_cpu_seconds() -> float:
    """CPU seconds of the embedded PostgreSQL's processes (0 for an external one)."""
    pid_file = Path(settings.DATABASES["default"]["HOST"]) / "postmaster.pid"
    try:
        master = psutil.Process(int(pid_file.read_text().split()[0]))
        processes = [master, *master.children(recursive=True)]
    except (OSError, ValueError, IndexError, psutil.Error):
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue  # ended meanwhile
        total += times.user + times.system
    return total


def labelled_document(world: World, runs: int) -> dict:
    """Server CPU (ms, p50 over `runs` documents) of next, the page, LABELLED_SPANS
    span saves and submit, by the newcomer on fresh ~3 KB documents: the annotation
    issue 20 measures in Label Studio (43 ms there, ../shared/peers)."""
    client = client_for(world.newcomer)
    slug = world.project.slug
    person = world.project.labels.get(kind="entity", name="PERSON").pk
    htmx = {"HX-Request": "true"}
    spans = [
        (k * len(SENTENCE) + place, k * len(SENTENCE) + place + length)
        for k in range(LABELLED_SPANS)
        for place, length in [SPAN_PLACES[k % len(SPAN_PLACES)]]
    ]
    python, postgres = [], []
    for run in range(runs + 2):  # the first two warm the caches
        started, started_pg = time.process_time(), postgres_cpu_seconds()
        answer = client.get(reverse("annotate:next", args=[slug]))
        page = answer["Location"]
        pk = int(page.rstrip("/").rsplit("/", 1)[1])
        answers = [answer, client.get(page)]
        # The drawing the screen shows, sent with each change as annotate.js does.
        drawn = re.search(r'data-drawn="([^"]*)"', answers[-1].content.decode())
        drawn = drawn.group(1) if drawn else ""
        for start, end in spans:
            data = {
                "start": start,
                "end": end,
                "text": SENTENCE[start % len(SENTENCE) :][: end - start],
                "label": person,
                "drawn": drawn,
            }
            answers.append(
                client.post(
                    reverse("annotate:span-create", args=[slug, pk]), data, headers=htmx
                )
            )
            drawn = shown_drawing(answers[-1]) or drawn
        answers.append(
            client.post(reverse("annotate:submit", args=[slug, pk]), headers=htmx)
        )
        ended, ended_pg = time.process_time(), postgres_cpu_seconds()
        if bad := [a.status_code for a in answers if a.status_code >= 400]:
            raise SystemExit(f"labelling a document in {slug}: answers {bad}")
        if run >= 2:
            python.append((ended - started) * 1000)
            postgres.append((ended_pg - started_pg) * 1000)
    total = [a + b for a, b in zip(python, postgres, strict=True)]
    return {
        "requests": 3 + LABELLED_SPANS,
        "cpu_ms_p50": round(statistics.median(total), 1),
        "python_ms_p50": round(statistics.median(python), 1),
        "postgres_ms_p50": round(statistics.median(postgres), 1),
    }


def print_row(documents: int, name: str, figures: dict) -> None:
    print(
        f"{documents:>9,}  {name:<40} p50 {figures['p50_ms']:>7.1f} ms"
        f"   p95 {figures['p95_ms']:>7.1f} ms   {figures['queries']:>3} queries",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip", nargs="*", default=[], help="views named so")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    results = [
        measure_size(documents, args.runs, args.skip) for documents in args.documents
    ]
    out = args.json or Path(settings.VAR_DIR) / "bench" / "views.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
