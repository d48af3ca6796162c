"""A manager's direct assignment from the document list: ticked documents, or every
one matching the search, given to named people; overlap respected (also against a
`next` running at the same moment), documents already theirs skipped, and a line per
person saying how many were assigned and why the others were not."""

from __future__ import annotations

import html
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from annotate.labelling.queue import next_assignment
from annotate.models import Assignment, Document
from annotate.projects.assignments import assign_documents
from tests.conftest import make_document, member

HTMX = {"HX-Request": "true"}


def body(response) -> str:
    return html.unescape(response.content.decode())


def assign_url(project):
    return reverse("annotate:assign", args=[project.slug])


@pytest.fixture
def documents(project):
    return [
        make_document(project, title=f"Article {n}", text=f"Lavrov in Bamako, day {n}.")
        for n in range(3)
    ] + [make_document(project, title="Cocoa", text="Cocoa prices fell.")]


@pytest.mark.django_db
def test_it_pins_the_public_path():
    assert reverse("annotate:assign", args=["demo"]) == "/p/demo/assign/"


@pytest.mark.django_db
def test_it_assigns_ticked_documents_to_the_people_named(
    manager_client, project, manager, annotator, reviewer, documents
):
    first, second = documents[:2]
    response = manager_client.post(
        assign_url(project),
        {"document": [first.pk, second.pk], "annotators": [annotator.pk, reviewer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    made = Assignment.objects.order_by("document_id", "annotator_id")
    assert [(a.document_id, a.annotator, a.assigned_by, a.opened_at) for a in made] == [
        (first.pk, annotator, manager, None),
        (first.pk, reviewer, manager, None),
        (second.pk, annotator, manager, None),
        (second.pk, reviewer, manager, None),
    ]
    text = body(response)
    assert "ann: 2 documents assigned." in text
    assert "rev: 2 documents assigned." in text
    first.refresh_from_db()
    assert first.assignment_count == 2


@pytest.mark.django_db
def test_it_respects_overlap_and_skips_what_people_already_have(
    manager_client, project, annotator, reviewer, documents
):
    project.overlap = 1
    project.save()
    taken, already, free = documents[:3]
    other = member(project, "other", "annotator")
    Assignment.objects.create(document=taken, annotator=other)
    skipped = Assignment.objects.create(document=already, annotator=annotator)
    skipped.skip()
    response = manager_client.post(
        assign_url(project),
        {"document": [taken.pk, already.pk, free.pk], "annotators": [annotator.pk]},
        follow=True,
    )
    assert (
        "ann: 1 document assigned; not assigned: 1 they already had, "
        "1 already with 1 annotator (the project's overlap)."
    ) in body(response)
    assert Assignment.objects.get(document=free).annotator == annotator
    assert Assignment.objects.filter(document=taken).count() == 1
    # Two people, one free slot: the first in the list (by username) takes it.
    project.overlap = 2
    project.save()
    response = manager_client.post(
        assign_url(project),
        {"document": [free.pk], "annotators": [reviewer.pk, other.pk]},
        follow=True,
    )
    assert "other: 1 document assigned." in body(response)
    assert "rev: 0 documents assigned; not assigned: 1 already with 2" in body(response)


@pytest.mark.django_db
def test_it_assigns_every_document_matching_the_search(
    manager_client, project, annotator, documents
):
    response = manager_client.post(
        assign_url(project),
        {"everything": "on", "q": "Lavrov", "annotators": [annotator.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("annotate:document-list", args=[project.slug]) + "?q=Lavrov"
    )
    assigned = set(Assignment.objects.values_list("document__title", flat=True))
    assert assigned == {"Article 0", "Article 1", "Article 2"}


@pytest.mark.django_db
def test_it_refuses_without_documents_or_people_and_keeps_the_ticks(
    manager_client, project, documents
):
    response = manager_client.post(
        assign_url(project), {"document": [documents[1].pk], "q": ""}
    )
    assert response.status_code == 400
    text = body(response)
    assert "Choose at least one person to assign to." in text
    assert (
        f'value="{documents[1].pk}" aria-label="Assign document {documents[1].pk}" checked'
        in text
    )
    assert (
        f'value="{documents[0].pk}" aria-label="Assign document {documents[0].pk}">'
        in text
    )
    response = manager_client.post(assign_url(project), {"annotators": []})
    assert "Tick the documents to assign" in body(response)
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_people_outside_the_project(
    manager_client, project, outsider, documents
):
    response = manager_client.post(
        assign_url(project),
        {"document": [documents[0].pk], "annotators": [outsider.pk]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in body(response)
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_documents_of_other_projects_are_ignored(
    manager_client, project, annotator, outsider
):
    theirs = make_document(outsider.memberships.get().project)
    manager_client.post(
        assign_url(project), {"document": [theirs.pk], "annotators": [annotator.pk]}
    )
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_only_managers_see_the_assignment_controls(
    manager_client, annotator, project, documents
):
    url = reverse("annotate:document-list", args=[project.slug])
    annotator_client = Client()
    annotator_client.force_login(annotator)
    assert 'id="assign-form"' not in body(annotator_client.get(url))
    page = body(manager_client.get(url))
    assert 'id="assign-form"' in page and 'name="annotators"' in page
    table = body(manager_client.get(url + "?q=Cocoa", headers=HTMX))
    assert "<html" not in table
    assert 'name="q" value="Cocoa"' in table and 'name="document"' in table


@pytest.mark.django_db
def test_only_managers_may_assign(project, annotator, client, outsider, documents):
    data = {"document": [documents[0].pk], "annotators": [annotator.pk]}
    client.force_login(annotator)
    assert client.post(assign_url(project), data).status_code == 403
    client.force_login(outsider)
    assert client.post(assign_url(project), data).status_code == 404
    assert not Assignment.objects.exists()


# Against a concurrent `next`


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_next_holding_the_last_slot_is_waited_for_not_overrun(project, manager):
    """`next` has taken the document's only slot and not yet committed; the manager's
    assignment of the same document waits on its row, then sees the slot taken."""
    project.overlap = 1
    project.save()
    document = make_document(project)
    queued = member(project, "queued", "annotator")
    named = member(project, "named", "annotator")
    taken, release = threading.Event(), threading.Event()
    outcomes, errors = [], []

    def press_next() -> None:
        try:
            with transaction.atomic():
                next_assignment(project=project, user=queued)
                taken.set()
                release.wait(timeout=30)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def assign() -> None:
        try:
            outcomes.extend(
                assign_documents(
                    project=project,
                    document_ids=[document.pk],
                    annotators=[named],
                    assigned_by=manager,
                )
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    queue_thread = threading.Thread(target=press_next)
    queue_thread.start()
    assert taken.wait(timeout=30)
    assign_thread = threading.Thread(target=assign)
    assign_thread.start()
    # Until the assignment is waiting on the document's row (or, locking nothing,
    # has finished): polled, not slept for a fixed time.
    deadline = time.monotonic() + 30
    while assign_thread.is_alive() and not waiting_on_a_lock():
        assert time.monotonic() < deadline, "the assignment neither waited nor ended"
        time.sleep(0.01)
    release.set()
    queue_thread.join()
    assign_thread.join()
    assert not errors
    (outcome,) = outcomes
    assert (outcome.assigned, outcome.full) == (0, 1)
    document.refresh_from_db()
    assert document.assignment_count == 1
    assert list(Assignment.objects.values_list("annotator__username", flat=True)) == [
        "queued"
    ]


@pytest.mark.django_db(transaction=True)
def test_assigning_while_many_press_next_never_over_assigns(project, manager):
    project.overlap = 2
    project.save()
    documents = [make_document(project, text=f"Article {n}.") for n in range(12)]
    named = [member(project, f"n{n}", "annotator") for n in range(2)]
    pressing = [member(project, f"q{n}", "annotator") for n in range(6)]
    start = threading.Barrier(len(pressing) + 1)
    errors: list[BaseException] = []

    def run(work) -> None:
        try:
            start.wait()
            work()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def press(user):
        return lambda: [next_assignment(project=project, user=user) for _ in range(3)]

    def assign():
        assign_documents(
            project=project,
            document_ids=[d.pk for d in documents],
            annotators=named,
            assigned_by=manager,
        )

    threads = [threading.Thread(target=run, args=[assign])] + [
        threading.Thread(target=run, args=[press(user)]) for user in pressing
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    counts = Document.objects.filter(pk__in=[d.pk for d in documents]).annotate(
        real=Count("assignments", filter=Q(assignments__is_gold=False))
    )
    assert all(document.real <= 2 for document in counts)
    assert all(document.real == document.assignment_count for document in counts)
