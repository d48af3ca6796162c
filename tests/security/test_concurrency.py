"""Many people at once: labelling one document through the views, pressing next,
and two reviewers deciding on one assignment. Each thread has its own connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client

from annotate.labelling import queue
from annotate.models import (
    Assignment,
    Document,
    Label,
    Membership,
    Rating,
    ReviewEvent,
    Span,
    Stance,
    StanceTarget,
)
from annotate.review import decisions as review
from tests.conftest import make_document, member, predicted

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20
TEXT = "Sergey Lavrov arrived in Bamako on Monday, Politico reported."


def at_once(work, arguments: list) -> list:
    """Run work(argument) in one thread each, released together; results in order."""
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait()
            return work(argument)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(run, arguments))


@pytest.fixture
def screen(project):
    """An annotator's open assignment, and a logged-in client for each thread."""
    user = member(project, "busy", Membership.Role.ANNOTATOR)
    document = make_document(project, text=TEXT)
    assignment = queue.next_assignment(project=project, user=user)
    assert assignment.document_id == document.pk
    clients = []
    for _ in range(THREADS):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    return assignment, clients


def url(assignment: Assignment, action: str) -> str:
    return f"/p/{assignment.document.project.slug}/a/{assignment.pk}/{action}/"


def test_it_stores_one_span_when_twenty_requests_add_it_at_once(project, screen):
    assignment, clients = screen
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    data = {"start": 0, "end": 13, "text": "Sergey Lavrov", "label": person.pk}
    statuses = at_once(
        lambda client: (
            client.post(
                url(assignment, "spans"), data, headers={"HX-Request": "true"}
            ).status_code
        ),
        clients,
    )
    assert set(statuses) == {200}
    assert Span.objects.filter(assignment=assignment).count() == 1


def test_it_keeps_every_span_when_twenty_are_added_at_once(project, screen):
    assignment, clients = screen
    labels = list(Label.objects.filter(project=project, kind="entity"))
    words = [(0, 6), (7, 13), (25, 31), (43, 51)]
    requests = [
        (client, words[n % len(words)], labels[n % len(labels)])
        for n, client in enumerate(clients)
    ]

    def label(request):
        client, (start, end), chosen = request
        data = {"start": start, "end": end, "text": TEXT[start:end], "label": chosen.pk}
        return client.post(
            url(assignment, "spans"), data, headers={"HX-Request": "true"}
        )

    statuses = {response.status_code for response in at_once(label, requests)}
    expected = {(word, chosen.pk) for _, word, chosen in requests}
    stored = {
        ((s, e), label_id)
        for s, e, label_id in Span.objects.filter(assignment=assignment).values_list(
            "start", "end", "label_id"
        )
    }
    assert statuses == {200}
    assert stored == expected


def test_it_keeps_one_stance_and_one_rating_when_set_at_once(project, screen):
    assignment, clients = screen
    target = StanceTarget.objects.create(project=project, name="Russia in Africa")
    stances = list(Label.objects.filter(project=project, kind="stance"))
    grades = list(Label.objects.filter(project=project, kind="reliability"))

    def change(indexed):
        n, client = indexed
        if n % 2:
            data = {"target": target.pk, "label": stances[n % len(stances)].pk}
            return client.post(
                url(assignment, "stances"), data, headers={"HX-Request": "true"}
            )
        data = {
            "source": "Politico",
            "role": "cited",
            "label": grades[n % len(grades)].pk,
        }
        return client.post(
            url(assignment, "ratings"), data, headers={"HX-Request": "true"}
        )

    statuses = {r.status_code for r in at_once(change, list(enumerate(clients)))}
    assert statuses == {200}
    assert Stance.objects.filter(assignment=assignment).count() == 1
    assert Rating.objects.filter(assignment=assignment).count() == 1


def test_it_submits_once_when_submit_is_pressed_twenty_times(project, screen):
    assignment, clients = screen
    statuses = at_once(
        lambda client: client.post(url(assignment, "submit")).status_code, clients
    )
    assignment.refresh_from_db()
    assert set(statuses) == {302}
    assert assignment.status == Assignment.Status.SUBMITTED
    assert Assignment.objects.filter(document=assignment.document).count() == 1


def test_it_never_gives_a_document_more_annotators_than_the_overlap(
    project, queue_order
):
    project.overlap = 2
    project.save()
    for n in range(5):
        make_document(project, text=f"{TEXT} Day {n}.")
    predicted(project)
    users = [
        member(project, f"a{n}", Membership.Role.ANNOTATOR) for n in range(THREADS)
    ]
    clients = []
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    statuses = at_once(
        lambda client: client.get(f"/p/{project.slug}/next/").status_code, clients
    )
    per_document = (
        Assignment.objects.filter(is_gold=False)
        .values("document")
        .annotate(n=Count("id"))
    )
    assert set(statuses) <= {200, 302}
    assert max(row["n"] for row in per_document) <= 2
    assert sum(row["n"] for row in per_document) == 10  # every slot handed out once


def test_it_keeps_slot_counts_equal_to_the_real_assignments(project, queue_order):
    for n in range(5):
        make_document(project, text=f"{TEXT} Day {n}.")
    predicted(project)
    users = [
        member(project, f"a{n}", Membership.Role.ANNOTATOR) for n in range(THREADS)
    ]
    at_once(lambda user: queue.next_assignment(project=project, user=user), users)
    for document in Document.objects.filter(project=project):
        assert document.assignment_count == document.assignments.count()


def test_it_records_both_of_two_reviewers_deciding_at_once(project):
    annotator = member(project, "worker", Membership.Role.ANNOTATOR)
    reviewers = [
        member(project, name, Membership.Role.REVIEWER) for name in ("r1", "r2")
    ]
    document = make_document(project, text=TEXT)
    assignment = Assignment.objects.create(
        document=document, annotator=annotator, status=Assignment.Status.SUBMITTED
    )
    decisions = [(reviewers[0], review.accept), (reviewers[1], review.reject)]
    at_once(
        lambda decision: decision[1](
            Assignment.objects.get(pk=assignment.pk), reviewer=decision[0]
        ),
        decisions,
    )
    assignment.refresh_from_db()
    events = list(
        ReviewEvent.objects.filter(assignment=assignment).order_by("at", "id")
    )
    assert len(events) == 2
    # The state is the later decision's, by the reviewer who made it.
    assert assignment.reviewer_id == events[-1].actor_id
    assert (
        assignment.review_state
        == {"accept": "accepted", "reject": "rejected"}[events[-1].action]
    )
    assert assignment.version == 3
