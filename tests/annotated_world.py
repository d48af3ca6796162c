"""A small annotated project: three annotators on two documents (the export tests and
the export page use it; tests/conftest.py makes `annotated` a fixture everywhere)."""

from __future__ import annotations

from annotate.models import (
    Assignment,
    Entity,
    Label,
    Membership,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document, member

LAVROV = "Sergey Lavrov arrived in Bamako on Monday. Reuters reported the visit 🇲🇱."
SECOND = "Protests in Bamako grew as Assimi Goïta met the envoy."


def label(project: Project, kind: str, name: str) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


def work(project, document, user, spans=(), stance=None, rating=None, gold=False):
    """A submitted assignment with spans [(text, label)], a stance and a rating."""
    assignment = Assignment.objects.create(
        document=document,
        annotator=user,
        is_gold=gold,
        status=Assignment.Status.SUBMITTED,
    )
    for text, name, *entity in spans:
        start = document.text.index(text)
        Span.objects.create(
            assignment=assignment,
            start=start,
            end=start + len(text),
            text=text,
            label=label(project, Label.Kind.ENTITY, name),
            entity=entity[0] if entity else None,
        )
    if stance:
        Stance.objects.create(
            assignment=assignment,
            target=StanceTarget.objects.get(project=project, name="Russia"),
            label=label(project, Label.Kind.STANCE, stance),
            evidence_start=0,
            evidence_end=13,
            evidence_text=document.text[:13],
        )
    if rating:
        Rating.objects.create(
            assignment=assignment,
            source=document.publisher,
            role=Rating.Role.PUBLISHER,
            label=label(project, Label.Kind.RELIABILITY, rating),
            rationale="names its sources",
        )
    return assignment


def annotate_project(project):
    """Three annotators on two documents; they agree on Lavrov, two of three say Bamako
    is a GPE, stance 'against' and publisher 'high'."""
    StanceTarget.objects.create(project=project, name="Russia")
    publisher = Source.objects.create(name="Maliweb", domain="maliweb.net")
    lavrov = Entity.objects.create(project=project, name="Sergey Lavrov")
    first = make_document(project, text=LAVROV, publisher=publisher, title="Lavrov")
    second = make_document(project, text=SECOND, publisher=publisher, title="Protests")
    a1, a2, a3 = (
        member(project, name, Membership.Role.ANNOTATOR) for name in ("a1", "a2", "a3")
    )
    work(
        project,
        first,
        a1,
        [("Sergey Lavrov", "PERSON", lavrov), ("Bamako", "GPE")],
        stance="against",
        rating="high",
    )
    work(
        project,
        first,
        a2,
        [("Sergey Lavrov", "PERSON"), ("Bamako", "LOC")],
        stance="against",
        rating="high",
    )
    work(
        project,
        first,
        a3,
        [("Sergey Lavrov", "PERSON"), ("Bamako", "GPE"), ("Monday", "MISC")],
        stance="neutral",
        rating="low",
    )
    # "Bamak" stops inside a word: no tokenizer gives it a token of its own.
    work(project, second, a1, [("Bamak", "GPE"), ("Assimi Goïta", "PERSON")])
    return project
