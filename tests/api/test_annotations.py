"""Annotations through the API: the versions the caller may see, the caller's own
version changed with the screen's checks and version numbers, review and gold."""

from __future__ import annotations

import pytest

from annotate.models import Assignment, Label, Span
from tests.api.conftest import ApiClient, base, token_for
from tests.conftest import make_document, member

TEXT = "Sergey Lavrov arrived in Bamako on Monday."


@pytest.fixture
def document(project):
    return make_document(project, text=TEXT)


@pytest.fixture
def mine(document, annotator):
    return Assignment.objects.create(document=document, annotator=annotator)


def url(project, assignment, tail=""):
    return (
        base(project)
        + f"/documents/{assignment.document_id}/annotations/{assignment.pk}/{tail}"
    )


def label(project, kind, name) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


def span_body(project, start=0, end=13, name="PERSON", **extra):
    return {
        "start": start,
        "end": end,
        "text": TEXT[start:end],
        "label": label(project, "entity", name).pk,
        **extra,
    }


def test_the_queue_hands_out_a_version_to_label(project, annotator, document):
    api = ApiClient(token_for(annotator))
    taken = api.post(base(project) + "/queue/")
    assert taken.status_code == 200
    version = taken.json()["version"]
    assert version["document"] == document.pk and version["annotator"] == "ann"
    assert version["status"] == "assigned" and version["spans"] == []
    member(project, "ann3", "annotator")


def test_an_annotator_labels_with_the_screens_version_numbers(project, annotator, mine):
    api = ApiClient(token_for(annotator))
    added = api.post(url(project, mine, "spans/"), span_body(project))
    assert added.status_code == 201, added.content
    version = added.json()
    assert version["version"] == 2 and version["spans"][0]["text"] == "Sergey Lavrov"
    span = version["spans"][0]["id"]
    org = label(project, "entity", "ORG").pk
    relabelled = api.patch(
        url(project, mine, f"spans/{span}/"), {"label": org, "version": 2}
    )
    assert relabelled.json()["spans"][0]["label_name"] == "ORG"
    assert relabelled.json()["version"] == 3
    deleted = api.delete(url(project, mine, f"spans/{span}/"))
    assert deleted.status_code == 200 and deleted.json()["spans"] == []
    replayed = api.delete(url(project, mine, f"spans/{span}/"))
    assert replayed.status_code == 200 and replayed.json()["version"] == 4
    undone = api.post(url(project, mine, "undo/"), {"version": 4})
    assert undone.json()["undone"] == "delete"
    assert undone.json()["description"] == "deletion of span “Sergey Lavrov” ORG"
    assert undone.json()["version"]["spans"][0]["label_name"] == "ORG"


def test_a_replayed_add_makes_one_span(project, annotator, mine):
    api = ApiClient(token_for(annotator))
    for _ in range(2):
        assert (
            api.post(url(project, mine, "spans/"), span_body(project)).status_code
            == 201
        )
    assert Span.objects.filter(assignment=mine).count() == 1


def test_undo_from_an_out_of_date_view_is_refused(project, annotator, mine):
    api = ApiClient(token_for(annotator))
    api.post(url(project, mine, "spans/"), span_body(project))
    stale = api.post(url(project, mine, "undo/"), {"version": 1})
    assert stale.status_code == 409
    assert "changed in another tab" in stale.json()["message"]
    assert Span.objects.filter(assignment=mine).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": 0, "end": 99, "text": "x"}, "outside the text"),
        ({"start": 0, "end": 6, "text": "Sergei"}, "does not match"),
        ({"start": 5, "end": 2, "text": ""}, "empty or reversed"),
    ],
)
def test_it_refuses_bad_offsets_as_the_screen_does(
    project, annotator, mine, change, field
):
    body = span_body(project) | change
    response = ApiClient(token_for(annotator)).post(url(project, mine, "spans/"), body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert not Span.objects.exists()


def test_it_refuses_another_projects_label_and_wrong_kinds(
    project, annotator, mine, outsider
):
    other = outsider.memberships.get().project
    api = ApiClient(token_for(annotator))
    foreign = Label.objects.get(project=other, kind="entity", name="PERSON").pk
    for bad in (foreign, label(project, "stance", "favor").pk, 10**12):
        response = api.post(
            url(project, mine, "spans/"), span_body(project) | {"label": bad}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "label",
                "message": "No entity label with that id in this project.",
            }
        ]
    wrong_type = api.post(
        url(project, mine, "spans/"), span_body(project) | {"start": "zero"}
    )
    assert (
        wrong_type.status_code == 422
        and wrong_type.json()["errors"][0]["field"] == "body.payload.start"
    )
    assert not Span.objects.exists()


def test_stances_and_ratings_are_set_with_the_screens_forms(
    project, annotator, mine, target
):
    api = ApiClient(token_for(annotator))
    favor = label(project, "stance", "favor").pk
    stance = api.put(url(project, mine, "stances/"), {
        "target": target.pk, "label": favor, "note": "clear", "evidence_start": 0, "evidence_end": 13,
    })  # fmt: skip
    assert stance.status_code == 200, stance.content
    assert stance.json()["stances"][0] | {"target": 0} == {
        "target": 0, "target_name": "Russia in Africa", "label": favor, "label_name": "favor",
        "evidence_start": 0, "evidence_end": 13, "evidence_text": "Sergey Lavrov", "note": "clear",
    }  # fmt: skip
    high = label(project, "reliability", "high").pk
    rating = api.put(
        url(project, mine, "ratings/"),
        {"source": "AFP", "role": "cited", "label": high},
    )
    assert rating.json()["ratings"][0]["source"] == "AFP"
    bad = api.put(url(project, mine, "stances/"), {"target": target.pk, "label": high})
    assert bad.status_code == 422 and "stance label" in bad.json()["message"]
    half = api.put(
        url(project, mine, "stances/"),
        {"target": target.pk, "label": favor, "evidence_start": 3},
    )
    assert half.status_code == 422 and "both ends" in half.json()["message"]


def test_nobody_else_changes_an_annotators_version(project, mine, reviewer, manager):
    for user in (reviewer, manager, member(project, "ann2", "annotator")):
        response = ApiClient(token_for(user)).post(
            url(project, mine, "spans/"), span_body(project)
        )
        assert response.status_code == 404
    assert not Span.objects.exists()


def test_a_blind_annotator_sees_only_their_own_version(
    project, annotator, mine, document, reviewer
):
    peer = member(project, "ann2", "annotator")
    theirs = Assignment.objects.create(
        document=document, annotator=peer, status="submitted"
    )
    listing = base(project) + f"/documents/{document.pk}/annotations/"
    assert [v["id"] for v in ApiClient(token_for(annotator)).get(listing).json()] == [
        mine.pk
    ]
    assert ApiClient(token_for(annotator)).get(url(project, theirs)).status_code == 404
    seen = [v["id"] for v in ApiClient(token_for(reviewer)).get(listing).json()]
    assert seen == [mine.pk, theirs.pk]


def test_submit_review_and_gold(project, annotator, mine, reviewer, document):
    api, review = ApiClient(token_for(annotator)), ApiClient(token_for(reviewer))
    api.post(url(project, mine, "spans/"), span_body(project))
    submitted = api.post(url(project, mine, "submit/")).json()
    assert submitted["status"] == "submitted"
    stale = review.post(
        url(project, mine, "review/"), {"action": "accept", "version": 1}
    )
    assert stale.status_code == 409
    accepted = review.post(
        url(project, mine, "review/"),
        {"action": "accept", "comment": "fine", "version": submitted["version"]},
    )
    assert (
        accepted.json()["review_state"] == "accepted"
        and accepted.json()["reviewer"] == "rev"
    )
    locked = api.post(url(project, mine, "spans/"), span_body(project, 25, 31, "GPE"))
    assert locked.status_code == 409 and "accepted" in locked.json()["message"]
    gold = review.post(
        base(project) + f"/documents/{document.pk}/gold/", {"version": mine.pk}
    )
    assert gold.status_code == 200
    assert gold.json()["is_gold"] and [s["text"] for s in gold.json()["spans"]] == [
        "Sergey Lavrov"
    ]
    assert (
        api.post(
            base(project) + f"/documents/{document.pk}/gold/", {"agreed_by": 1}
        ).status_code
        == 403
    )


def test_an_annotator_may_not_review(project, annotator, mine):
    response = ApiClient(token_for(annotator)).post(
        url(project, mine, "review/"), {"action": "accept"}
    )
    assert response.status_code == 403
