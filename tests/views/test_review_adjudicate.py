"""The adjudication screen: taking items into gold, editing it, deciding on versions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotate.models import (
    Assignment,
    Document,
    Label,
    Rating,
    ReviewEvent,
    Span,
    Stance,
)
from tests.conftest import make_document

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, document: Document) -> str:
    return reverse(f"annotate:{name}", args=[document.project.slug, document.pk])


def label(project, kind: str, name: str) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


@pytest.fixture
def lavrov(annotated) -> Document:
    """Three annotators' versions (tests/annotated_world.py): all say Lavrov is a
    PERSON, a1 and a3 say Bamako is a GPE and a2 a LOC, a3 adds Monday; stance
    against, against, neutral; publisher high, high, low."""
    return Document.objects.get(title="Lavrov")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def version_of(document: Document, username: str) -> Assignment:
    return document.assignments.get(annotator__username=username, is_gold=False)


def span_of(document: Document, username: str, text: str) -> Span:
    return Span.objects.get(assignment=version_of(document, username), text=text)


def gold_of(document: Document) -> Assignment | None:
    return document.assignments.filter(is_gold=True).first()


def gold_spans(document: Document) -> list[tuple[str, str]]:
    return sorted(
        Span.objects.filter(
            assignment__document=document, assignment__is_gold=True
        ).values_list("text", "label__name")
    )


def take(client, document, kind, item, **extra):
    data = {"kind": kind, "item": item.pk, **extra}
    return client.post(url("review-take", document), data, headers=HTMX)


def test_it_shows_every_version_side_by_side_with_disagreements_marked(
    reviewer_client, lavrov
):
    response = reviewer_client.get(url("adjudicate", lavrov))
    assert response.status_code == 200
    body = response.content.decode()
    for username in ("a1", "a2", "a3"):
        assert username in body
    versions = response.context["versions"]
    disputed = {row.name for row in versions.rows if row.is_disputed}
    # Lavrov (3 of 3) is agreed; everything else is disputed.
    assert "Sergey Lavrov" not in disputed
    assert {"Bamako", "Monday", "Russia", "Maliweb (publisher)"} <= disputed
    assert 'class="span l-' in body and "disputed" in body
    assert 'id="help"' in body and "<kbd>Shift</kbd>+<kbd>A</kbd>" in body


def test_it_tells_two_rows_of_one_string_and_label_apart(reviewer_client, project):
    from tests.conftest import member

    text = "Lavrov flew to Bamako on Monday.\n\nLater, protests in Bamako grew."
    document = make_document(project, text=text, title="Two Bamakos")
    gpe = label(project, "entity", "GPE")
    for name in ("b1", "b2"):
        version = Assignment.objects.create(
            document=document,
            annotator=member(project, name, "annotator"),
            status=Assignment.Status.SUBMITTED,
        )
        for start in (text.index("Bamako"), text.rindex("Bamako")):
            Span.objects.create(
                assignment=version, start=start, end=start + 6, text="Bamako", label=gpe
            )
    body = reviewer_client.get(url("adjudicate", document)).content.decode()
    later = text.rindex("Bamako")
    assert (
        'Lavrov flew to <b>Bamako</b> on Monday.<span class="where">para 1 · chars 15–21</span>'
        in body
    )
    assert (
        f'Later, protests in <b>Bamako</b> grew.<span class="where">para 2 · chars {later}–{later + 6}</span>'
        in body
    )
    # The text names each span by its label, not only on hover.
    assert body.count('<span class="tag">GPE</span>') == 2


def test_it_takes_a_span_into_a_new_gold_version_once(
    reviewer_client, lavrov, reviewer
):
    span = span_of(lavrov, "a2", "Bamako")
    response = take(reviewer_client, lavrov, "span", span, version=0)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="adjudication"' in body
    assert 'id="decisions" hx-swap-oob="true"' in body
    assert json.loads(response.headers["HX-Trigger"])["goldChanged"] == {"version": 2}
    gold = gold_of(lavrov)
    assert (gold.is_gold, gold.annotator, gold.review_state) == (
        True,
        reviewer,
        "accepted",
    )
    assert gold_spans(lavrov) == [("Bamako", "LOC")]
    # A replayed request changes nothing.
    take(reviewer_client, lavrov, "span", span, version=0)
    assert gold_spans(lavrov) == [("Bamako", "LOC")]
    assert Assignment.objects.filter(document=lavrov, is_gold=True).count() == 1


def test_it_takes_a_stance_and_refuses_to_overwrite_another_reviewers_choice(
    reviewer_client, lavrov
):
    against = Stance.objects.get(assignment=version_of(lavrov, "a1"))
    neutral = Stance.objects.get(assignment=version_of(lavrov, "a3"))
    assert (
        take(reviewer_client, lavrov, "stance", against, seen_label=0).status_code
        == 200
    )
    # A screen that still showed no gold stance asks for neutral: 409, gold kept.
    response = take(reviewer_client, lavrov, "stance", neutral, seen_label=0)
    assert response.status_code == 409
    assert "set to against by another reviewer" in response.content.decode()
    gold_stance = Stance.objects.get(assignment=gold_of(lavrov))
    assert gold_stance.label.name == "against"
    assert gold_stance.evidence_text == against.evidence_text
    # Seen as against, it may change.
    seen = {"seen_label": against.label_id}
    assert take(reviewer_client, lavrov, "stance", neutral, **seen).status_code == 200
    gold_stance.refresh_from_db()
    assert gold_stance.label.name == "neutral"


def test_it_takes_every_item_at_least_k_annotators_agree_on(reviewer_client, lavrov):
    response = reviewer_client.post(
        url("review-agreed", lavrov), {"k": 2}, headers=HTMX
    )
    assert response.status_code == 200
    assert "4 item(s) taken" in response.content.decode()
    assert gold_spans(lavrov) == [("Bamako", "GPE"), ("Sergey Lavrov", "PERSON")]
    gold = gold_of(lavrov)
    assert gold.stances.get().label.name == "against"
    assert gold.ratings.get().label.name == "high"
    # Lavrov's entity link comes with the span of the first annotator who gave it.
    assert gold.spans.get(text="Sergey Lavrov").entity.name == "Sergey Lavrov"


def test_it_keeps_gold_choices_that_differ_from_the_agreed_ones(
    reviewer_client, lavrov
):
    take(
        reviewer_client,
        lavrov,
        "stance",
        Stance.objects.get(assignment=version_of(lavrov, "a3")),
    )
    response = reviewer_client.post(
        url("review-agreed", lavrov), {"k": 2}, headers=HTMX
    )
    assert "3 item(s) taken" in response.content.decode()
    assert "1 gold choice(s) that differ were kept" in response.content.decode()
    assert gold_spans(lavrov) == [("Bamako", "GPE"), ("Sergey Lavrov", "PERSON")]
    assert gold_of(lavrov).stances.get().label.name == "neutral"


def test_it_refuses_a_k_above_the_number_of_annotators(reviewer_client, lavrov):
    response = reviewer_client.post(
        url("review-agreed", lavrov), {"k": 4}, headers=HTMX
    )
    assert response.status_code == 400
    assert "k: at most 3" in response.content.decode()
    response = reviewer_client.post(
        url("review-agreed", lavrov), {"k": "many"}, headers=HTMX
    )
    assert response.status_code == 400 and "k:" in response.content.decode()
    assert gold_of(lavrov) is None


def test_it_relabels_and_removes_gold_items(reviewer_client, lavrov, project):
    take(reviewer_client, lavrov, "span", span_of(lavrov, "a2", "Bamako"))
    gold_span = gold_of(lavrov).spans.get()
    gpe = label(project, "entity", "GPE")
    edit = {"kind": "span", "item": gold_span.pk, "action": "relabel", "label": gpe.pk}
    response = reviewer_client.post(
        url("review-gold", lavrov),
        {**edit, "seen_label": gold_span.label_id},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert gold_spans(lavrov) == [("Bamako", "GPE")]
    # From a screen that still shows LOC, relabelling to ORG would undo that: 409.
    org = label(project, "entity", "ORG")
    stale = {**edit, "label": org.pk, "seen_label": gold_span.label_id}
    response = reviewer_client.post(url("review-gold", lavrov), stale, headers=HTMX)
    assert response.status_code == 409
    assert gold_spans(lavrov) == [("Bamako", "GPE")]
    remove = {"kind": "span", "item": gold_span.pk, "action": "remove"}
    assert (
        reviewer_client.post(
            url("review-gold", lavrov), remove, headers=HTMX
        ).status_code
        == 200
    )
    assert gold_spans(lavrov) == []
    # Removing it again finds it gone: nothing to do.
    assert (
        reviewer_client.post(
            url("review-gold", lavrov), remove, headers=HTMX
        ).status_code
        == 200
    )


def test_it_refuses_a_label_of_the_wrong_kind_naming_it(
    reviewer_client, lavrov, project
):
    take(reviewer_client, lavrov, "span", span_of(lavrov, "a1", "Bamako"))
    gold_span = gold_of(lavrov).spans.get()
    favor = label(project, "stance", "favor")
    data = {
        "kind": "span",
        "item": gold_span.pk,
        "action": "relabel",
        "label": favor.pk,
    }
    response = reviewer_client.post(url("review-gold", lavrov), data, headers=HTMX)
    assert response.status_code == 400
    assert "label: no entity label with that id" in response.content.decode()


def test_it_refuses_bad_input_naming_each_field(reviewer_client, lavrov):
    response = reviewer_client.post(
        url("review-take", lavrov), {"kind": "poem", "item": "x"}, headers=HTMX
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "kind:" in body and "item:" in body
    assert response.headers["HX-Retarget"] == "#flash"


def test_it_answers_404_for_ids_of_other_documents(reviewer_client, lavrov, outsider):
    protests = Document.objects.get(title="Protests")
    elsewhere = Span.objects.filter(assignment__document=protests).first()
    assert take(reviewer_client, lavrov, "span", elsewhere).status_code == 404
    other = make_document(outsider.memberships.get().project, text="Elsewhere.")
    assert reviewer_client.get(url("adjudicate", other)).status_code == 404
    decide = {"assignment": protests.assignments.get().pk, "action": "accept"}
    assert reviewer_client.post(url("review-decide", lavrov), decide).status_code == 404
    assert gold_of(lavrov) is None


def test_it_keeps_annotators_out(client, lavrov, annotator):
    client.force_login(annotator)
    assert client.get(url("adjudicate", lavrov)).status_code == 403
    span = span_of(lavrov, "a1", "Bamako")
    assert take(client, lavrov, "span", span).status_code == 403
    assert gold_of(lavrov) is None


def test_it_redirects_a_plain_form_post_back_to_the_screen(reviewer_client, lavrov):
    data = {"kind": "span", "item": span_of(lavrov, "a1", "Bamako").pk}
    response = reviewer_client.post(url("review-take", lavrov), data)
    assert response.status_code == 302 and response["Location"] == url(
        "adjudicate", lavrov
    )
    assert gold_spans(lavrov) == [("Bamako", "GPE")]


def test_it_accepts_and_rejects_with_a_comment_through_review_events(
    reviewer_client, lavrov, reviewer
):
    a1, a2 = version_of(lavrov, "a1"), version_of(lavrov, "a2")
    decide = url("review-decide", lavrov)
    accepted = reviewer_client.post(
        decide,
        {"assignment": a1.pk, "action": "accept", "seen_version": a1.version},
        headers=HTMX,
    )
    assert accepted.status_code == 200
    refused = reviewer_client.post(
        decide, {"assignment": a2.pk, "action": "reject"}, headers=HTMX
    )
    assert (
        refused.status_code == 400
        and "comment: say what to fix" in refused.content.decode()
    )
    rejected = reviewer_client.post(
        decide,
        {
            "assignment": a2.pk,
            "action": "reject",
            "comment": "Bamako is a city",
            "seen_version": a2.version,
        },
        headers=HTMX,
    )
    assert rejected.status_code == 200
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.review_state, a2.review_state) == ("accepted", "rejected")
    assert a2.review_comment == "Bamako is a city"
    events = ReviewEvent.objects.filter(assignment__in=[a1, a2]).order_by("id")
    assert [(e.action, e.via, e.actor) for e in events] == [
        ("accept", "review", reviewer),
        ("reject", "review", reviewer),
    ]


def test_it_refuses_a_decision_on_a_version_changed_since_it_was_shown(
    reviewer_client, lavrov
):
    a1 = version_of(lavrov, "a1")
    shown = a1.version
    a1.touch()  # the annotator changed it meanwhile
    data = {"assignment": a1.pk, "action": "accept", "seen_version": shown}
    response = reviewer_client.post(url("review-decide", lavrov), data, headers=HTMX)
    assert response.status_code == 409
    assert "a1 changed it" in response.content.decode()
    a1.refresh_from_db()
    assert a1.review_state == "pending"


def test_a_rejected_annotator_sees_the_comment_fixes_and_resubmits(
    reviewer_client, client, lavrov, project
):
    a2 = version_of(lavrov, "a2")
    data = {"assignment": a2.pk, "action": "reject", "comment": "Bamako is a city, GPE"}
    reviewer_client.post(url("review-decide", lavrov), data, headers=HTMX)
    client.force_login(a2.annotator)
    screen = reverse("annotate:annotate", args=[project.slug, a2.pk])
    page = client.get(screen).content.decode()
    banner = page.split('id="returned-banner"', 1)[1].split("</section>", 1)[0]
    assert "Bamako is a city, GPE" in banner and 'id="submit-button"' in page
    listing = client.get(reverse("annotate:document-list", args=[project.slug]))
    assert "1 returned to you" in listing.content.decode()
    mine = client.get(
        reverse("annotate:my-work", args=[project.slug]) + "?state=returned"
    )
    assert "Bamako is a city, GPE" in mine.content.decode()
    bamako = a2.spans.get(text="Bamako")
    relabel = reverse("annotate:span-relabel", args=[project.slug, a2.pk, bamako.pk])
    gpe = label(project, "entity", "GPE")
    assert client.post(relabel, {"label": gpe.pk}, headers=HTMX).status_code == 200
    submit = reverse("annotate:submit", args=[project.slug, a2.pk])
    assert client.post(submit, headers=HTMX).status_code == 200
    a2.refresh_from_db()
    assert (a2.status, a2.review_state) == ("submitted", "pending")
    assert a2.spans.get(text="Bamako").label == gpe


def test_it_goes_to_the_next_document_in_the_queue(reviewer_client, lavrov):
    response = reviewer_client.get(url("review-next", lavrov))
    protests = Document.objects.get(title="Protests")
    assert response.status_code == 302
    assert response["Location"] == url("adjudicate", protests)
    last = reviewer_client.get(url("review-next", protests))
    assert last["Location"].startswith(
        reverse("annotate:review-queue", args=[lavrov.project.slug])
    )


def test_it_carries_the_queue_filters_to_the_next_document(reviewer_client, lavrov):
    query = "?disagree=on"
    response = reviewer_client.get(url("review-next", lavrov) + query)
    # Protests has one annotator: no disagreement, so it is not next.
    assert response["Location"].startswith(
        reverse("annotate:review-queue", args=[lavrov.project.slug])
    )
    assert (
        reviewer_client.get(url("adjudicate", lavrov) + query)
        .context["urls"]["next"]
        .endswith(query)
    )


def test_it_shows_gold_ratings_and_labels_in_the_rating_rows(reviewer_client, lavrov):
    high = Rating.objects.get(assignment=version_of(lavrov, "a1"))
    take(reviewer_client, lavrov, "rating", high, seen_label=0)
    body = reviewer_client.get(url("adjudicate", lavrov)).content.decode()
    assert "Gold started by rev" in body
    assert gold_of(lavrov).ratings.get().label.name == "high"
