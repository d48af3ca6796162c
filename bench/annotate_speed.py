"""Server time and query count of the annotation screen and its htmx actions on a
document with 500 spans (test client in-process: no network, no browser).

    python bench/annotate_speed.py [--spans 500] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
os.environ.setdefault("NEWSAPP_PLAIN_STATIC", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate.ingest.records import DocumentRecord  # noqa: E402
from annotate.models import (  # noqa: E402
    Assignment,
    Document,
    Label,
    Membership,
    Project,
    Span,
    StanceTarget,
)
from bench.corpus import articles  # noqa: E402

SLUG = "bench-annotate"


def build(span_count: int) -> tuple[Assignment, object]:
    Project.objects.filter(slug=SLUG).delete()
    project, _ = Project.objects.get_or_create_with_labels(SLUG)
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    text = "\n\n".join(item["text"] for item in articles(8, seed=3))
    record = DocumentRecord(text=text, raw=text, origin="bench")
    document = Document.objects.create(
        project=project,
        text=text,
        raw=text,
        title="Bench",
        content_hash=record.content_hash,
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-annotator")
    Membership.objects.get_or_create(
        user=user, project=project, defaults={"role": "annotator"}
    )
    assignment = Assignment.objects.create(document=document, annotator=user)
    labels = list(Label.objects.filter(project=project, kind="entity"))
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"[A-Z]\w+", text)]
    step = max(1, len(words) // span_count)
    Span.objects.bulk_create(
        Span(
            assignment=assignment,
            start=s,
            end=e,
            text=text[s:e],
            label=labels[i % len(labels)],
        )
        for i, (s, e) in enumerate(words[::step][:span_count])
    )
    return assignment, user


def version_of(url: str) -> int:
    """The current version of the assignment the URL acts on."""
    pk = int(url.split("/a/")[1].split("/")[0])
    return Assignment.objects.values_list("version", flat=True).get(pk=pk)


def measure(
    client: Client, method: str, url: str, data: dict | None, runs: int, htmx: bool
) -> dict:
    timings, queries = [], 0
    headers = {"HX-Request": "true"} if htmx else {}
    for _ in range(runs):
        data_now = {"version": version_of(url)} if data == "undo" else data or {}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = getattr(client, method)(url, data_now, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{method.upper()} {url} answered {response.status_code}")
        queries = len(captured.captured_queries)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    assignment, user = build(args.spans)
    client = Client()
    client.force_login(user)
    project = assignment.document.project
    text = assignment.document.text
    start = text.index(" ") + 1
    end = text.index(" ", start)
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    favor = Label.objects.get(project=project, kind="stance", name="favor")
    high = Label.objects.get(project=project, kind="reliability", name="high")
    target = project.stance_targets.get()
    first_span = Span.objects.filter(assignment=assignment).order_by("id").first()
    args_of = [project.slug, assignment.pk]
    cases = {
        "annotation page": (
            "get",
            reverse("annotate:annotate", args=args_of),
            None,
            False,
        ),
        "add span (htmx)": (
            "post",
            reverse("annotate:span-create", args=args_of),
            {"start": start, "end": end, "text": text[start:end], "label": person.pk},
            True,
        ),
        "stance (htmx)": (
            "post",
            reverse("annotate:stance-set", args=args_of),
            {"target": target.pk, "label": favor.pk},
            True,
        ),
        "rating (htmx)": (
            "post",
            reverse("annotate:rating-set", args=args_of),
            {"source": "AFP", "role": "cited", "label": high.pk},
            True,
        ),
        "relabel (htmx)": (
            "post",
            reverse("annotate:span-relabel", args=[*args_of, first_span.pk]),
            {"label": person.pk},
            True,
        ),
        "link (htmx)": (
            "post",
            reverse("annotate:span-link", args=[*args_of, first_span.pk]),
            {"new_name": first_span.text},
            True,
        ),
        "dismiss (htmx)": (
            "post",
            reverse("annotate:suggestion-dismiss", args=args_of),
            {"start": start, "end": end, "label": person.pk},
            True,
        ),
        # Undo checks the version the screen showed; the bench reads the current one.
        "undo (htmx)": ("post", reverse("annotate:undo", args=args_of), "undo", True),
    }
    report = {
        "spans": Span.objects.filter(assignment=assignment).count(),
        "text_chars": len(text),
    }
    print(
        f"annotation screen: a document of {len(text)} characters with {report['spans']} spans"
    )
    for name, (method, url, data, htmx) in cases.items():
        report[name] = figures = measure(client, method, url, data, args.runs, htmx)
        print(
            f"  {name:<18} p50 {figures['p50_ms']:>6} ms   p95 {figures['p95_ms']:>6} ms   {figures['queries']:>2} queries"
        )
    Project.objects.filter(slug=SLUG).delete()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
