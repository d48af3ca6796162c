from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotate.models import (
    Assignment,
    Document,
    Entity,
    Label,
    Project,
    Source,
    Span,
)
from tests.conftest import make_document, make_user


@pytest.fixture
def assignment(project, annotator):
    document = make_document(project, text="Sergey Lavrov 🇲🇱 visited Bamako 𝔸.")
    return Assignment.objects.create(document=document, annotator=annotator)


def person(project) -> Label:
    return Label.objects.get(project=project, kind=Label.Kind.ENTITY, name="PERSON")


def test_it_gives_a_new_project_the_default_label_sets(project):
    kinds = set(project.labels.values_list("kind", flat=True))
    assert kinds == {"entity", "stance", "reliability"}
    assert list(project.labels.reliabilities().values_list("value", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_it_stores_a_span_whose_text_matches_the_document_in_code_points(
    assignment, project
):
    text = assignment.document.text
    start = text.index("Bamako")
    span = Span.objects.create(
        assignment=assignment,
        start=start,
        end=start + 8,
        text=text[start : start + 8],
        label=person(project),
    )
    assert span.text == "Bamako 𝔸"


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [(0, 6, "Lavrov"), (5, 3, "ge"), (30, 90, "Bamako"), (0, 0, "")],
    ids=["text-mismatch", "reversed", "outside", "empty"],
)
def test_it_refuses_a_bad_span_in_the_database(assignment, project, start, end, text):
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(
            assignment=assignment,
            start=start,
            end=end,
            text=text,
            label=person(project),
        )


def test_it_checks_many_spans_at_once_in_a_long_document(project, annotator):
    """Spans stored together in a text over 100,000 bytes are checked against pieces
    of it (migration 0023): code points, not bytes, wherever they fall, across a
    piece's end and longer than a piece; one bad span refuses the whole statement."""
    unit = "Лавров прилетел в Бамако 𝔸 — talks in Bamako went on for hours. "
    text = unit * 2000  # 128,000 code points, over 200,000 bytes
    document = make_document(project, text=text, title="Long")
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    places = sorted({*range(0, len(text) - 500, 997), 199, 395, len(text) - 260})
    lengths = [1, 7, 13, 250]  # 250: longer than a piece

    def spans(bad: dict | None = None) -> list[Span]:
        made = []
        for n, start in enumerate(places):
            end = start + lengths[n % len(lengths)]
            made.append(
                Span(assignment=assignment, start=start, end=end,
                     text=text[start:end], label=person(project))
            )  # fmt: skip
        for key, value in (bad or {}).items():
            setattr(made[len(made) // 2], key, value)
        return made

    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.bulk_create(spans({"text": "not the text"}))
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.bulk_create(spans({"end": len(text) + 1}))
    assert not assignment.spans.exists()
    Span.objects.bulk_create(spans())
    assert assignment.spans.count() == len(places)


def test_it_refuses_the_same_span_twice(assignment, project):
    Span.objects.create(
        assignment=assignment, start=0, end=6, text="Sergey", label=person(project)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(
            assignment=assignment, start=0, end=6, text="Sergey", label=person(project)
        )


def test_it_freezes_the_text_of_a_document_with_spans(assignment, project):
    Span.objects.create(
        assignment=assignment, start=0, end=6, text="Sergey", label=person(project)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=assignment.document_id).update(text="changed")


def test_it_allows_one_gold_assignment_per_document(assignment, reviewer):
    Assignment.objects.create(
        document=assignment.document, annotator=reviewer, is_gold=True
    )
    other = make_user("rev2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            document=assignment.document, annotator=other, is_gold=True
        )


def test_it_allows_one_assignment_per_annotator_and_document(assignment, annotator):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(document=assignment.document, annotator=annotator)


def test_it_refuses_the_same_content_twice_in_a_project(project):
    make_document(project, text="Same text.")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_document(project, text="Same text.")


def test_it_finds_documents_by_full_text_search(project):
    make_document(project, text="Lavrov met Goita in Bamako.", title="Mali visit")
    make_document(project, text="Crop prices fell in Ghana.", title="Cocoa")
    found = Document.objects.for_project(project).search("bamako")
    assert [d.title for d in found] == ["Mali visit"]


def test_it_finds_entities_by_similar_alias(project):
    lavrov = Entity.objects.create(
        project=project, name="Sergey Lavrov", type=person(project)
    )
    Entity.objects.create(project=project, name="Emmanuel Macron", type=person(project))
    assert lavrov.add_alias("Sergei Lavrov")
    assert not lavrov.add_alias("sergey lavrov")
    found = list(Entity.objects.filter(project=project).similar_to("Sergei Lavrov"))
    assert found == [lavrov]


def test_it_finds_a_source_by_alias_ignoring_case(db):
    afp = Source.objects.create(name="Agence France-Presse", aliases=["AFP"])
    assert Source.objects.named("afp") == afp
    assert Source.objects.named("agence france-presse") == afp
    assert Source.objects.named("Reuters") is None


def test_it_keeps_the_count_of_a_projects_documents(project):
    def count() -> int:
        project.refresh_from_db()
        return project.document_count

    other, _ = Project.objects.get_or_create_with_labels("other")
    make_document(project, text="One.")
    Document.objects.bulk_create(
        Document(project=project, text=f"Text {n}.", raw="", content_hash=f"h{n}")
        for n in range(3)
    )
    assert count() == 4
    moved = Document.objects.get(project=project, text="One.")
    moved.project = other
    moved.save()
    assert count() == 3
    other.refresh_from_db()
    assert other.document_count == 1
    Document.objects.filter(project=project, text__startswith="Text").delete()
    assert count() == 0 == Document.objects.filter(project=project).count()
