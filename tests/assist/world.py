"""A small labelled project for the recommenders' tests: sentences naming people and
places, with gold versions (entities and a stance on one target) for most documents and
the rest unlabelled."""

from __future__ import annotations

from django.utils import timezone

from annotate.models import Assignment, Label, Project, Span, Stance, StanceTarget
from tests.conftest import make_document, make_user

PEOPLE = ["Sergey Lavrov", "Anna Ivanova", "Amadou Diallo", "Maria Lopez", "John Smith"]
PLACES = ["Bamako", "Moscow", "Dakar", "Paris", "Nairobi"]
VIEWS = [("praised", "favor"), ("condemned", "against")]


def sentence(n: int) -> tuple[str, list[tuple[int, int, str]], str]:
    person, place = PEOPLE[n % len(PEOPLE)], PLACES[(n // 2) % len(PLACES)]
    verb, stance = VIEWS[n % 2]
    text = f"{person} {verb} the talks in {place} on day {n}."
    spans = [(0, len(person), "PERSON")]
    at = text.index(place)
    spans.append((at, at + len(place), "GPE"))
    return text, spans, stance


def label_project(project: Project, *, labelled: int, unlabelled: int) -> dict:
    """Documents 0..labelled-1 get a gold version; the rest none. Returns the
    documents by kind."""
    gold_user = make_user("adjudicator")
    target, _ = StanceTarget.objects.get_or_create(project=project, name="the talks")
    labels = {
        (label.kind, label.name): label
        for label in Label.objects.filter(project=project)
    }
    done, todo = [], []
    for n in range(labelled + unlabelled):
        text, spans, stance = sentence(n)
        document = make_document(project, text=text, title=f"Day {n}", language="en")
        if n >= labelled:
            todo.append(document)
            continue
        version = Assignment.objects.create(
            document=document,
            annotator=gold_user,
            is_gold=True,
            status=Assignment.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        Span.objects.bulk_create(
            Span(
                assignment=version,
                start=start,
                end=end,
                label=labels[("entity", name)],
                text=text[start:end],
            )
            for start, end, name in spans
        )
        Stance.objects.create(
            assignment=version, target=target, label=labels[("stance", stance)]
        )
        done.append(document)
    return {"labelled": done, "unlabelled": todo, "target": target}
