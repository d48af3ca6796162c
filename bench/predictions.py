"""What predictions cost the annotator: the annotation page's server time (p50/p95)
and query count with and without a model's predictions on it, and the time `next`
takes to hand out a document in import order and in uncertainty-first order.

    python bench/predictions.py [--documents 20000] [--runs 50]

Runs on the database of the settings (make bench-db), in a project of its own that it
deletes afterwards. In-process, through Django's test client.
"""

from __future__ import annotations

import argparse
import os
import random
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate.labelling import queue  # noqa: E402
from annotate.models import Document, Membership, Prediction, Project  # noqa: E402
from bench.scaled import member  # noqa: E402

SLUG = "bench-predictions"
WORDS = "Sergey Lavrov met Assimi Goita in Bamako on Monday, AFP reported. "


def timed(work, runs: int) -> tuple[float, float, int]:
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            work()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    Project.objects.filter(slug=SLUG).delete()
    project, _ = Project.objects.get_or_create_with_labels(SLUG)
    try:
        text = WORDS * 60  # about 4,000 characters, 60 of each name
        document = Document.objects.create(project=project, text=text, raw=text)
        user = member(project, "bench-pred-ann", Membership.Role.ANNOTATOR)
        assignment = queue.next_assignment(project=project, user=user)
        client = Client()
        client.force_login(user)
        url = reverse("annotate:annotate", args=[SLUG, assignment.pk])
        page = lambda: client.get(url)  # noqa: E731
        page()
        results = {"page without predictions": timed(page, args.runs)}
        spans = []
        for n, name in enumerate(("Sergey Lavrov", "Assimi Goita", "Bamako")):
            label = ("PERSON", "PERSON", "GPE")[n]
            at = -1
            while (at := text.find(name, at + 1)) >= 0:
                spans.append({"start": at, "end": at + len(name), "label": label,
                              "text": name, "score": 0.9})  # fmt: skip
        Prediction.objects.create(
            document=document, model_name="bench", model_version="1", spans=spans
        )
        results[f"page with {len(spans)} predicted spans"] = timed(page, args.runs)
        Document.objects.bulk_create(
            Document(project=project, text=f"Story {n}.", raw=f"Story {n}.",
                     content_hash=f"bench-{n}")
            for n in range(args.documents)
        )  # fmt: skip
        random.seed(1)
        Prediction.objects.bulk_create(
            Prediction(document_id=pk, model_name="bench", model_version="1",
                       uncertainty=random.random())
            for pk in Document.objects.filter(project=project)
            .exclude(pk=document.pk).values_list("pk", flat=True)
        )  # fmt: skip
        for order in ("imported", "uncertainty"):
            project.queue_order = order
            project.save(update_fields=["queue_order"])
            users = iter(
                [
                    member(
                        project, f"bench-pred-{order}-{n}", Membership.Role.ANNOTATOR
                    )
                    for n in range(args.runs)
                ]
            )
            handed = lambda users=users: queue.next_assignment(  # noqa: E731
                project=project, user=next(users)
            )
            results[f"next, {order} order, {args.documents} documents"] = timed(
                handed, args.runs
            )
        for name, (p50, p95, queries) in results.items():
            print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries")
    finally:
        Project.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
