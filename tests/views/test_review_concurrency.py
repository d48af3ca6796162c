"""Two reviewers adjudicating the same documents at once, through the views, each
thread on its own connection; checked by invariants on the database afterwards."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.test import Client

from annotate.models import (
    Assignment,
    Membership,
    ReviewEvent,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.annotated_world import work
from tests.conftest import make_document, member
from tests.security.test_concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HX-Request": "true"}
TEXT = "Sergey Lavrov arrived in Bamako on Monday. Reuters reported the visit."
DOCUMENTS = 4


@pytest.fixture
def documents(project):
    """Documents with three annotators' versions that disagree on Bamako and the stance."""
    StanceTarget.objects.create(project=project, name="Russia")
    publisher = Source.objects.create(name="Maliweb")
    annotators = [
        member(project, n, Membership.Role.ANNOTATOR) for n in ("a1", "a2", "a3")
    ]
    made = []
    for n in range(DOCUMENTS):
        document = make_document(
            project, text=f"{TEXT} ({n})", title=f"Lavrov {n}", publisher=publisher
        )
        for user, place, stance in zip(
            annotators,
            ("GPE", "LOC", "GPE"),
            ("against", "against", "neutral"),
            strict=True,
        ):
            work(
                project,
                document,
                user,
                [("Sergey Lavrov", "PERSON"), ("Bamako", place)],
                stance=stance,
                rating="high",
            )
        made.append(document)
    return made


def reviewer_clients(project) -> list[Client]:
    clients = []
    for name in ("r1", "r2"):
        client = Client(raise_request_exception=False)
        client.force_login(member(project, name, Membership.Role.REVIEWER))
        clients.append(client)
    return clients


def adjudicate(
    client: Client, document, stance_from: str, shown: Assignment
) -> list[int]:
    """Everything a reviewer does on one document, as fast as the server answers;
    `shown` is a1's version as both reviewers' screens showed it."""
    base = f"/p/{document.project.slug}/review/{document.pk}"
    statuses = []
    for span in Span.objects.filter(
        assignment__document=document, assignment__is_gold=False
    ):
        statuses.append(
            client.post(
                f"{base}/take/",
                {"kind": "span", "item": span.pk, "version": 0},
                headers=HTMX,
            ).status_code
        )
    stance = Stance.objects.get(
        assignment__document=document, assignment__annotator__username=stance_from
    )
    statuses.append(
        client.post(
            f"{base}/take/",
            {"kind": "stance", "item": stance.pk, "seen_label": 0},
            headers=HTMX,
        ).status_code
    )
    statuses.append(client.post(f"{base}/agreed/", {"k": 2}, headers=HTMX).status_code)
    decision = {
        "assignment": shown.pk,
        "action": "accept",
        "seen_version": shown.version,
    }
    statuses.append(client.post(f"{base}/decide/", decision, headers=HTMX).status_code)
    return statuses


def test_two_reviewers_adjudicating_at_once_lose_nothing_and_duplicate_nothing(
    project, documents
):
    clients = reviewer_clients(project)
    for document in documents:
        # r1 takes a1's stance (against), r2 a3's (neutral), each from a screen showing none.
        work_of = [(clients[0], "a1"), (clients[1], "a3")]
        shown = document.assignments.get(annotator__username="a1")
        results = at_once(
            lambda job, document=document, shown=shown: adjudicate(
                job[0], document, job[1], shown
            ),
            work_of,
        )
        for statuses in results:
            assert 500 not in statuses, statuses
        gold = Assignment.objects.filter(document=document, is_gold=True)
        assert gold.count() == 1
        # Every span some reviewer took is there, once (span_unique makes a duplicate impossible).
        taken = set(
            Span.objects.filter(
                assignment__document=document, assignment__is_gold=False
            ).values_list("start", "end", "label_id")
        )
        assert set(gold.get().spans.values_list("start", "end", "label_id")) == taken
        # The two stance takes raced from screens showing no gold stance: exactly one
        # won, the other was told (409) rather than overwriting it.
        stance_statuses = sorted(statuses[-3] for statuses in results)
        assert stance_statuses == [200, 409]
        winner = "against" if results[0][-3] == 200 else "neutral"
        assert gold.get().stances.get().label.name == winner
        # Both accepted a1's version as shown: one decision recorded, the other refused.
        assert sorted(statuses[-1] for statuses in results) == [200, 409]
        first = document.assignments.get(annotator__username="a1")
        assert ReviewEvent.objects.filter(assignment=first).count() == 1
        assert first.review_state == "accepted"
    duplicates = (
        Assignment.objects.filter(is_gold=True)
        .values("document")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
