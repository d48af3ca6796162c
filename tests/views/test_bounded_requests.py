"""Bounded requests: every web request runs under a statement timeout and is told so
when it fires, as when PostgreSQL breaks a deadlock by rolling it back; "accept all"
takes a page of suggestions per press; the span text check runs once per statement (a
mismatch is still refused, whatever the batch)."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from annotate.labelling import changes as labelling
from annotate.labelling.suggestions import Suggestion
from annotate.models import Assignment, Label, Span
from tests.conftest import make_document, member

HTMX = {"HX-Request": "true"}


def label(project, name):
    return Label.objects.get(project=project, kind=Label.Kind.ENTITY, name=name)


def url(name, assignment):
    slug = assignment.document.project.slug
    return reverse(f"annotate:{name}", args=[slug, assignment.pk])


def hold_row_lock(pk: int, held: threading.Event, release: threading.Event):
    """Lock the assignment row from another connection until `release` (30 s at most)."""
    try:
        with transaction.atomic():
            Assignment.objects.select_for_update().get(pk=pk)
            held.set()
            release.wait(timeout=30)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_request_stuck_past_the_statement_timeout_is_stopped_and_says_so(
    client, project, settings
):
    settings.REQUEST_STATEMENT_TIMEOUT_MS = 300
    annotator = member(project, "ann", "annotator")
    document = make_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    client.force_login(annotator)
    held, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=hold_row_lock, args=[assignment.pk, held, release])
    locker.start()
    try:
        assert held.wait(timeout=30)
        data = {"start": 0, "end": 13, "text": "Sergey Lavrov"}
        data["label"] = label(project, "PERSON").pk
        stuck = client.post(url("span-create", assignment), data, headers=HTMX)
        page = client.post(url("span-create", assignment), data)
    finally:
        release.set()
        locker.join()
    assert stuck.status_code == 503
    said = stuck.content.decode()
    assert "took longer than 0.3 seconds and was stopped" in said
    assert "Traceback" not in said
    assert page.status_code == 503
    assert "took longer than 0.3 seconds" in page.content.decode()
    assert not Span.objects.exists()
    # The next request, with the row free, works on the same connection.
    done = client.post(url("span-create", assignment), data, headers=HTMX)
    assert done.status_code == 200
    assert Span.objects.count() == 1


@pytest.mark.django_db
def test_accept_all_takes_a_page_per_press_and_says_how_many_are_left(
    annotator_client, project, annotator, reviewer, settings
):
    settings.ACCEPT_ALL_LIMIT = 3
    text = " ".join(["Lavrov met Goita."] * 4)  # 8 suggestions
    assignment = Assignment.objects.create(
        document=make_document(project, text=text), annotator=annotator
    )
    other = make_document(project, text="Lavrov and Goita.")
    gold = Assignment.objects.create(document=other, annotator=reviewer, is_gold=True)
    for start, end in ((0, 6), (11, 16)):
        Span.objects.create(
            assignment=gold, start=start, end=end, text=other.text[start:end],
            label=label(project, "PERSON"),
        )  # fmt: skip
    pressed = annotator_client.post(
        url("suggestions-accept-all", assignment), headers=HTMX
    )
    assert Span.objects.filter(assignment=assignment).count() == 3
    assert (
        "Accepted 3 of 8 suggestions; press Accept all again for the next 3 (5 left)."
        in pressed.content.decode()
    )
    for _ in range(2):
        pressed = annotator_client.post(
            url("suggestions-accept-all", assignment), headers=HTMX
        )
    assert Span.objects.filter(assignment=assignment).count() == 8
    assert "Accepted" not in pressed.content.decode()  # the last page: nothing left


@pytest.mark.django_db
def test_a_batch_with_one_wrong_span_text_is_refused_whole(project, annotator):
    """The check per statement still refuses a mismatch, in a batch big enough to
    be matched against the text's pieces, and spans crossing a piece's end pass."""
    text = "Lavrov é Goita. " * 100  # crossings of the 200-character pieces
    assignment = Assignment.objects.create(
        document=make_document(project, text=text), annotator=annotator
    )
    person = label(project, "PERSON")
    starts = [n * 16 for n in range(100)]
    good = [Suggestion(s, s + 15, person.pk, text[s : s + 15]) for s in starts]
    labelling.accept_suggestions(
        assignment=assignment, suggestions=good, labels={person.pk: person}
    )
    assert Span.objects.filter(assignment=assignment).count() == 100
    wrong = [Span(assignment=assignment, start=s + 9, end=s + 14, text=text[s + 9 : s + 14], label=person) for s in starts[:50]]  # fmt: skip
    wrong.append(Span(assignment=assignment, start=5, end=9, text="vrov", label=person))
    with (
        pytest.raises(IntegrityError, match="5-9 text does not match"),
        transaction.atomic(),
    ):
        Span.objects.bulk_create(wrong)
    outside = Span(assignment=assignment, start=1590, end=1601, text="x", label=person)
    with (
        pytest.raises(IntegrityError, match="outside the document text of 1600"),
        transaction.atomic(),
    ):
        Span.objects.bulk_create([outside])
    assert Span.objects.filter(assignment=assignment).count() == 100


def hold_table_lock(table: str, held: threading.Event, release: threading.Event):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(timeout=30)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_an_api_request_past_the_statement_timeout_answers_503_in_json(
    project, settings
):
    from tests.api.conftest import ApiClient, token_for

    settings.REQUEST_STATEMENT_TIMEOUT_MS = 300
    api = ApiClient(token_for(member(project, "ann", "annotator")))
    held, release = threading.Event(), threading.Event()
    locker = threading.Thread(
        target=hold_table_lock, args=["annotate_project", held, release]
    )
    locker.start()
    try:
        assert held.wait(timeout=30)
        answer = api.get("/api/v1/projects/")
    finally:
        release.set()
        locker.join()
    assert answer.status_code == 503
    assert "took longer than 0.3 seconds" in answer.json()["message"]


def deadlock_a_span_save(
    term: tuple[str, int], assignment_pk: int, locked: threading.Event
):
    """Lock the vocabulary row of `term`, wait until a request waits for it, then
    lock that request's assignment row: each waits for the other, and PostgreSQL
    breaks the circle by rolling back the first to look for one (the request, whose
    deadlock_timeout is the shorter)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL deadlock_timeout = '20s'")
            cursor.execute(
                "SELECT 1 FROM annotate_termuse WHERE text = %s AND label_id = %s "
                "FOR UPDATE",
                term,
            )
            locked.set()
            # Only a session this one blocks: other test processes wait on locks too.
            waiting = 0
            while not waiting:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                )
                waiting = cursor.fetchone()[0]
            cursor.execute(
                "SELECT 1 FROM annotate_assignment WHERE id = %s FOR UPDATE",
                [assignment_pk],
            )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_by_a_deadlock_says_so_and_saves_nothing(client, project):
    annotator, peer = (member(project, n, "annotator") for n in ("ann", "peer"))
    person = label(project, "PERSON")
    document = make_document(project)
    labelling.add_span(
        assignment=Assignment.objects.create(document=document, annotator=peer),
        start=0, end=13, label=person,
    )  # fmt: skip
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    client.force_login(annotator)
    with connection.cursor() as cursor:
        cursor.execute("SET deadlock_timeout = '50ms'")
    locked = threading.Event()
    other = threading.Thread(
        target=deadlock_a_span_save,
        args=[("Sergey Lavrov", person.pk), assignment.pk, locked],
    )
    other.start()
    assert locked.wait(timeout=30)
    data = {"start": 0, "end": 13, "text": "Sergey Lavrov", "label": person.pk}
    try:
        answer = client.post(url("span-create", assignment), data, headers=HTMX)
    finally:
        other.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET deadlock_timeout")
    assert answer.status_code == 409
    assert "met another one being saved at the same moment" in answer.content.decode()
    assert not assignment.spans.exists()
    again = client.post(url("span-create", assignment), data, headers=HTMX)
    assert again.status_code == 200
    assert assignment.spans.count() == 1
