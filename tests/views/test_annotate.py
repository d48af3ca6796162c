"""The annotation screen through the test client: each view allowed, refused, and bounded."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotate.models import (
    Assignment,
    Label,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document, member

pytestmark = pytest.mark.django_db

TEXT = "🇲🇱 Bamako 𝔸: Sergey Lavrov met Assimi Goita, AFP reported."


@pytest.fixture
def document(project):
    return make_document(project, text=TEXT, title="Lavrov in Bamako")


@pytest.fixture
def assignment(document, annotator):
    return Assignment.objects.create(document=document, annotator=annotator)


def label(project, name, kind=Label.Kind.ENTITY):
    return Label.objects.get(project=project, kind=kind, name=name)


def url(name, assignment, *extra):
    return reverse(
        f"annotate:{name}",
        args=[assignment.document.project.slug, assignment.pk, *extra],
    )


def span_data(project, text, fragment, name="PERSON"):
    start = text.index(fragment)
    return {
        "start": start,
        "end": start + len(fragment),
        "text": fragment,
        "label": label(project, name).pk,
    }


HTMX = {"HX-Request": "true"}


def test_it_gives_the_next_document_then_points_back_at_it_while_open(
    annotator_client, project, document
):
    response = annotator_client.get(reverse("annotate:next", args=[project.slug]))
    assignment = Assignment.objects.get()
    screen = reverse("annotate:annotate", args=[project.slug, assignment.pk])
    assert response["Location"] == screen
    response = annotator_client.get(reverse("annotate:next", args=[project.slug]))
    assert Assignment.objects.count() == 1
    assert f'href="{screen}">Lavrov in Bamako</a>' in response.content.decode()


def test_it_never_gives_a_document_more_than_overlap_annotators(
    client, project, document
):
    project.overlap = 2
    project.save()
    for name in ("a1", "a2", "a3"):
        client.force_login(member(project, name, "annotator"))
        client.get(reverse("annotate:next", args=[project.slug]))
    assert Assignment.objects.filter(document=document).count() == 2
    response = client.get(reverse("annotate:next", args=[project.slug]))
    assert b"Nothing left to label" in response.content
    document.refresh_from_db()
    assert document.assignment_count == 2


def test_it_shows_the_screen_with_labels_targets_and_sources(
    annotator_client, project, assignment
):
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    response = annotator_client.get(url("annotate", assignment))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Russian influence in Africa" in body
    assert "PERSON" in body and "<kbd>p</kbd>" in body
    assert ">AFP <span" in body  # detected as a cited source to rate


def test_it_stores_a_span_in_code_points_and_returns_only_fragments(
    annotator_client, project, assignment
):
    response = annotator_client.post(
        url("span-create", assignment),
        span_data(project, TEXT, "Bamako 𝔸", "GPE"),
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    # The flash line in place; the text's one block (a paragraph) and the list (its
    # first row) out of band.
    assert response.headers["HX-Retarget"] == "#flash"
    assert '<span class="block" id="b-0" hx-swap-oob="true">' in body
    assert '<ul id="span-list"' in body
    assert "spansChanged" in json.loads(response.headers["HX-Trigger"])
    span = Span.objects.get()
    assert (span.start, span.end, span.text) == (3, 11, "Bamako 𝔸")
    # The next span: its row alone, after the row before it; the others stay.
    drawn = json.loads(response.headers["HX-Trigger"])["versionChanged"]["drawn"]
    response = annotator_client.post(
        url("span-create", assignment),
        {**span_data(project, TEXT, "Sergey Lavrov"), "drawn": drawn},
        headers=HTMX,
    )
    body = response.content.decode()
    second = Span.objects.exclude(pk=span.pk).get()
    assert 'id="span-list"' not in body
    assert (
        f'<ul hx-swap-oob="afterend:#span-row-{span.pk}"><li class="span-row" id="span-row-{second.pk}"'
        in body
    )
    assert f'id="span-row-{span.pk}"' not in body.replace(f"#span-row-{span.pk}", "")


def test_it_redirects_a_plain_form_post_back_to_the_screen(
    annotator_client, project, assignment
):
    response = annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Sergey Lavrov")
    )
    assert response.status_code == 302
    assert response["Location"] == url("annotate", assignment)
    assert Span.objects.count() == 1


def test_it_creates_nothing_twice_for_a_replayed_request(
    annotator_client, project, assignment
):
    data = span_data(project, TEXT, "Sergey Lavrov")
    for _ in range(3):
        assert (
            annotator_client.post(
                url("span-create", assignment), data, headers=HTMX
            ).status_code
            == 200
        )
    assert Span.objects.count() == 1


def test_it_draws_nested_spans_as_nested_marks(annotator_client, project, assignment):
    annotator_client.post(
        url("span-create", assignment),
        span_data(project, TEXT, "Sergey Lavrov met Assimi Goita", "EVENT"),
    )
    annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Lavrov")
    )
    body = annotator_client.get(url("annotate", assignment)).content.decode()
    assert (
        body.count('<mark class="span') == 4
    )  # outer split in three around the inner one, plus the inner
    assert "</mark></mark>" in body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": 40, "end": 999}, "outside the text"),
        (
            {"text": "Sergei Lavrov"},
            "does not match its text &#x27;Sergei Lavrov&#x27;",
        ),
        ({"label": 0}, "No entity label"),
    ],
    ids=["offsets-outside", "text-mismatch", "unknown-label"],
)
def test_it_refuses_a_bad_span_with_a_message_and_writes_nothing(
    annotator_client, project, assignment, change, message
):
    data = {**span_data(project, TEXT, "Sergey Lavrov"), **change}
    response = annotator_client.post(url("span-create", assignment), data, headers=HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.headers["HX-Retarget"] == "#flash"
    assert not Span.objects.exists()


def test_it_refuses_a_label_of_another_project(annotator_client, project, assignment):
    other, _ = Project.objects.get_or_create_with_labels("elsewhere")
    data = {
        **span_data(project, TEXT, "Sergey Lavrov"),
        "label": label(other, "PERSON").pk,
    }
    assert (
        annotator_client.post(url("span-create", assignment), data).status_code == 400
    )
    assert not Span.objects.exists()


def test_it_hides_another_annotators_assignment(client, project, assignment):
    client.force_login(member(project, "nosy", "annotator"))
    assert client.get(url("annotate", assignment)).status_code == 404
    assert (
        client.post(
            url("span-create", assignment), span_data(project, TEXT, "Sergey Lavrov")
        ).status_code
        == 404
    )
    assert not Span.objects.exists()


def test_it_hides_the_screen_from_outsiders_and_anonymous_users(
    client, outsider, assignment
):
    assert client.get(url("annotate", assignment)).status_code == 302
    client.force_login(outsider)
    assert client.get(url("annotate", assignment)).status_code == 404


def test_it_lets_a_reviewer_read_but_not_change_an_assignment(
    client, reviewer, project, assignment
):
    client.force_login(reviewer)
    response = client.get(url("annotate", assignment))
    assert response.status_code == 200
    assert b'id="submit-button"' not in response.content
    assert (
        client.post(
            url("span-create", assignment), span_data(project, TEXT, "Lavrov")
        ).status_code
        == 404
    )


def test_it_refuses_changes_once_the_assignment_is_reviewed(
    annotator_client, project, assignment, reviewer
):
    assignment.review(reviewer=reviewer, state=Assignment.ReviewState.ACCEPTED)
    response = annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Lavrov"), headers=HTMX
    )
    assert response.status_code == 409
    assert b"reviewed" in response.content
    assert not Span.objects.exists()


def test_it_changes_deletes_and_undoes_spans(annotator_client, project, assignment):
    annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Sergey Lavrov")
    )
    annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Assimi Goita")
    )
    first, second = Span.objects.order_by("start")
    annotator_client.post(
        url("span-relabel", assignment, first.pk),
        {"label": label(project, "ORG").pk},
        headers=HTMX,
    )
    first.refresh_from_db()
    assert first.label.name == "ORG"
    # Undo takes back the last change (the relabelling), then the span added before it.
    for _ in range(2):
        assignment.refresh_from_db()
        undone = annotator_client.post(
            url("undo", assignment), {"version": assignment.version}, headers=HTMX
        )
        assert undone.status_code == 200
    assert [(s.text, s.label.name) for s in Span.objects.all()] == [
        ("Sergey Lavrov", "PERSON")
    ]
    first.refresh_from_db()
    annotator_client.post(url("span-delete", assignment, first.pk), headers=HTMX)
    assert not Span.objects.exists()
    assert (
        annotator_client.post(
            url("span-delete", assignment, first.pk), headers=HTMX
        ).status_code
        == 200
    )


def test_it_records_a_stance_with_its_evidence(annotator_client, project, assignment):
    target = StanceTarget.objects.create(
        project=project, name="Russian influence in Africa"
    )
    start = TEXT.index("Sergey")
    data = {
        "target": target.pk,
        "label": label(project, "favor", Label.Kind.STANCE).pk,
        "evidence_start": start,
        "evidence_end": start + 6,
    }
    response = annotator_client.post(url("stance-set", assignment), data, headers=HTMX)
    assert 'id="stance-panel"' in response.content.decode()
    data["label"] = label(project, "neutral", Label.Kind.STANCE).pk
    annotator_client.post(url("stance-set", assignment), data, headers=HTMX)
    stance = Stance.objects.get()
    assert (stance.label.name, stance.evidence_text) == ("neutral", "Sergey")


def test_it_rates_a_cited_source_and_adds_it_to_the_registry(
    annotator_client, project, assignment
):
    Source.objects.create(name="Agence France-Presse", aliases=["AFP"])
    data = {
        "source": "AFP",
        "role": "cited",
        "label": label(project, "high", Label.Kind.RELIABILITY).pk,
    }
    annotator_client.post(url("rating-set", assignment), data, headers=HTMX)
    annotator_client.post(
        url("rating-set", assignment), {**data, "source": "Sputnik"}, headers=HTMX
    )
    assert sorted(Rating.objects.values_list("source__name", flat=True)) == [
        "Agence France-Presse",
        "Sputnik",
    ]
    assert Source.objects.filter(name="Sputnik").exists()


def test_it_submits_and_sends_the_annotator_to_the_next_document(
    annotator_client, project, assignment
):
    response = annotator_client.post(url("submit", assignment), headers=HTMX)
    assert response.headers["HX-Redirect"] == reverse(
        "annotate:next", args=[project.slug]
    )
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.SUBMITTED


def test_it_gives_a_skipped_document_slot_back(annotator_client, project, document):
    annotator_client.get(reverse("annotate:next", args=[project.slug]))
    assignment = Assignment.objects.get()
    annotator_client.post(url("skip", assignment))
    document.refresh_from_db()
    assignment.refresh_from_db()
    assert (assignment.status, document.assignment_count) == ("skipped", 0)


def test_it_renders_the_screen_in_a_fixed_number_of_queries(
    annotator_client, project, assignment, django_assert_max_num_queries
):
    def add_spans(count):
        person = label(project, "PERSON")
        for number in range(count):
            Span.objects.get_or_create(
                assignment=assignment,
                start=0,
                end=2 + number % 9,
                label=person,
                defaults={"text": TEXT[: 2 + number % 9]},
            )

    add_spans(3)
    with django_assert_max_num_queries(20) as few:
        annotator_client.get(url("annotate", assignment))
    add_spans(9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        annotator_client.get(url("annotate", assignment))


def test_it_serves_label_colours_as_a_stylesheet(annotator_client, project):
    response = annotator_client.get(reverse("annotate:labels-css", args=[project.slug]))
    assert response["Content-Type"].startswith("text/css")
    assert (
        f".l-{label(project, 'PERSON').pk}{{--label:#f4a261}}"
        in response.content.decode()
    )


def test_it_links_a_span_to_a_similar_entity_and_adds_the_alias(
    annotator_client, project, assignment
):
    from annotate.models import Entity

    lavrov = Entity.objects.create(
        project=project, name="Sergei Lavrov", type=label(project, "PERSON")
    )
    annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Sergey Lavrov")
    )
    span = Span.objects.get()
    panel = annotator_client.get(
        url("span-link", assignment, span.pk), headers=HTMX
    ).content.decode()
    assert 'id="link-panel"' in panel and "Sergei Lavrov" in panel
    annotator_client.post(
        url("span-link", assignment, span.pk), {"entity": lavrov.pk}, headers=HTMX
    )
    span.refresh_from_db()
    lavrov.refresh_from_db()
    assert span.entity == lavrov
    assert lavrov.aliases == ["Sergey Lavrov"]


def test_it_links_a_span_to_a_new_entity(annotator_client, project, assignment):
    annotator_client.post(
        url("span-create", assignment), span_data(project, TEXT, "Assimi Goita")
    )
    span = Span.objects.get()
    annotator_client.post(
        url("span-link", assignment, span.pk),
        {"new_name": "Assimi Goïta"},
        headers=HTMX,
    )
    span.refresh_from_db()
    assert (span.entity.name, span.entity.aliases, span.entity.type.name) == (
        "Assimi Goïta",
        ["Assimi Goita"],
        "PERSON",
    )


def test_it_suggests_strings_labelled_elsewhere_in_the_project(
    annotator_client, project, assignment, reviewer
):
    project.blind = False
    project.save()
    other = make_document(project, text="Assimi Goita spoke.")
    elsewhere = Assignment.objects.create(document=other, annotator=reviewer)
    Span.objects.create(
        assignment=elsewhere,
        start=0,
        end=12,
        text="Assimi Goita",
        label=label(project, "PERSON"),
    )
    body = annotator_client.get(url("annotate", assignment)).content.decode()
    assert 'class="suggestion l-' in body
    assert "Suggestions (1)" in body
    assert (
        "rev" not in body.split('id="span-list"')[1].split("</ul>")[0]
    )  # who labelled it stays hidden
    start = TEXT.index("Assimi Goita")
    annotator_client.post(
        url("suggestion-accept", assignment),
        {"start": start, "end": start + 12, "label": label(project, "PERSON").pk},
        headers=HTMX,
    )
    accepted = Span.objects.get(assignment=assignment)
    assert (accepted.text, accepted.origin) == ("Assimi Goita", "suggested")


def test_it_does_not_suggest_again_what_was_dismissed(
    annotator_client, project, assignment, annotator
):
    other = make_document(project, text="AFP and Sputnik.")
    elsewhere = Assignment.objects.create(document=other, annotator=annotator)
    Span.objects.create(
        assignment=elsewhere, start=0, end=3, text="AFP", label=label(project, "ORG")
    )
    start = TEXT.index("AFP")
    response = annotator_client.post(
        url("suggestion-dismiss", assignment),
        {"start": start, "end": start + 3, "label": label(project, "ORG").pk},
        headers=HTMX,
    )
    assert "Suggestions (" not in response.content.decode()
    assert not Span.objects.filter(assignment=assignment).exists()


def test_it_accepts_all_suggestions_at_once(
    annotator_client, project, assignment, reviewer
):
    other = make_document(project, text="Assimi Goita met AFP in Bamako.")
    elsewhere = Assignment.objects.create(
        document=other, annotator=reviewer, is_gold=True
    )
    for fragment, name in (
        ("Assimi Goita", "PERSON"),
        ("AFP", "ORG"),
        ("Bamako", "GPE"),
    ):
        start = other.text.index(fragment)
        Span.objects.create(
            assignment=elsewhere,
            start=start,
            end=start + len(fragment),
            text=fragment,
            label=label(project, name),
        )
    annotator_client.post(url("suggestions-accept-all", assignment), headers=HTMX)
    assert sorted(
        Span.objects.filter(assignment=assignment).values_list("text", flat=True)
    ) == ["AFP", "Assimi Goita", "Bamako"]


def test_it_never_suggests_what_a_peer_labelled_in_the_same_document_when_blind(
    annotator_client, project, assignment, document
):
    peer = member(project, "peer", "annotator")
    theirs = Assignment.objects.create(document=document, annotator=peer)
    start = TEXT.index("Assimi Goita")
    Span.objects.create(
        assignment=theirs,
        start=start,
        end=start + 12,
        text="Assimi Goita",
        label=label(project, "PERSON"),
    )
    body = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "Suggestions (" not in body
    assert 'class="suggestion' not in body


def test_it_suggests_strings_from_other_documents_without_saying_whose_when_blind(
    annotator_client, project, assignment
):
    other = make_document(project, text="Assimi Goita spoke.")
    theirs = Assignment.objects.create(
        document=other, annotator=member(project, "peer", "annotator")
    )
    Span.objects.create(
        assignment=theirs,
        start=0,
        end=12,
        text="Assimi Goita",
        label=label(project, "PERSON"),
    )
    body = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "Suggestions (1)" in body
    assert "peer" not in body
