"""One 5 MB article: server time of opening its annotation page, saving one span on
it, and one press of "Accept all" (a page of ACCEPT_ALL_LIMIT of its ~30,000
suggestions), in-process through Django's test client (issue 19, item 3), and the
bytes each answers with (the screen draws one part of a long text; a change answers
with the paragraphs it redrew).

    python bench/large_document.py [--chars 5000000] [--runs 3] [--json FILE]

The article and its project are made for the run and deleted afterwards. Results go
to var/bench/large_document.json unless --json says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate.ingest.records import DocumentRecord  # noqa: E402
from annotate.models import Assignment, Document, Label, Project, Span  # noqa: E402
from bench.scaled import member  # noqa: E402

SLUG = "bench-large-document"
UNIT = (
    "Sergey Lavrov met officials in the capital on Monday, and the talks went on for "
    "hours, according to people familiar with the matter who spoke to reporters. "
)


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--json", type=Path, default=settings.VAR_DIR / "bench" / "large_document.json"
    )
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    Project.objects.filter(slug=SLUG).delete()
    project, _ = Project.objects.get_or_create_with_labels(SLUG, name="Bench: 5 MB")
    try:
        figures = measure(project, args.chars, args.runs)
    finally:
        Document.objects.filter(project=project).delete()
        project.delete()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2))
    for name, value in figures.items():
        print(f"{name:>32}: {value}")


def measure(project: Project, chars: int, runs: int) -> dict:
    text = UNIT * (chars // len(UNIT))
    record = DocumentRecord(text=text, raw=text, origin="bench")
    document = Document.objects.create(
        project=project, text=text, raw=text, title="Bench: 5 MB",
        content_hash=record.content_hash,
    )  # fmt: skip
    annotator = member(project, "bench-large-annotator", "annotator")
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    seen_text = "Sergey Lavrov spoke."
    seen = Document.objects.create(
        project=project, text=seen_text, raw=seen_text, title="Seen",
        content_hash=DocumentRecord(text=seen_text, raw=seen_text, origin="b").content_hash,
    )  # fmt: skip
    gold = Assignment.objects.create(document=seen, annotator=annotator, is_gold=True)
    Span.objects.create(assignment=gold, start=0, end=13, text="Sergey Lavrov", label=person)  # fmt: skip
    client = Client()
    client.force_login(annotator)
    args = [project.slug, assignment.pk]
    page = reverse("annotate:annotate", args=args)
    opening = [timed(lambda: client.get(page)) for _ in range(runs)]
    # The drawing the screen shows, sent with each change as annotate.js does.
    drawn = re.search(r'data-drawn="([^"]*)"', opening[-1][1].content.decode()).group(1)
    saving = []
    for n in range(runs):
        start = len(UNIT) * (n + 1) + 18  # "officials", in a unit of its own
        data = {
            "start": start,
            "end": start + 9,
            "text": "officials",
            "label": person.pk,
            "drawn": drawn,
        }
        seconds, answer = timed(
            lambda data=data: client.post(reverse("annotate:span-create", args=args), data, headers={"HX-Request": "true"})
        )  # fmt: skip
        assert answer.status_code == 200, answer.status_code
        saving.append((seconds, len(answer.content)))
        drawn = json.loads(answer.headers["HX-Trigger"])["versionChanged"]["drawn"]
    seconds, answer = timed(
        lambda: client.post(reverse("annotate:suggestions-accept-all", args=args), {"drawn": drawn}, headers={"HX-Request": "true"})
    )  # fmt: skip
    assert answer.status_code == 200, answer.status_code
    return {
        "document characters": len(text),
        "open page p50 s": round(statistics.median(s for s, _ in opening), 2),
        "open page response bytes": len(opening[0][1].content),
        "span save p50 s": round(statistics.median(s for s, _ in saving), 2),
        "span save response bytes": saving[0][1],
        "accept all press s": round(seconds, 2),
        "accept all limit": settings.ACCEPT_ALL_LIMIT,
        "accept all response bytes": len(answer.content),
    }


if __name__ == "__main__":
    main()
