"""Decisions are final: a reviewer's accept racing an annotator's changes, on real
transactions from two connections. Each change either lands before the acceptance
(its version number is below the accepted one) or is refused; none lands after."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from annotate.labelling import changes as labelling
from annotate.labelling.suggestions import Suggestion
from annotate.models import Assignment, Label, Span
from annotate.review import decisions
from tests.conftest import make_document, member

TRIALS = 50


def race(*actions) -> list[BaseException]:
    """Run the actions in threads released together; the unexpected errors."""
    start = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            start.wait()
            action()
        except labelling.LockedAssignment:
            pass  # refused after the decision: what should happen when it loses
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[action]) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def submitted_version(project, annotator, n: int) -> Assignment:
    document = make_document(project, text=f"Sergey Lavrov arrived, take {n}.")
    return Assignment.objects.create(
        document=document, annotator=annotator, status=Assignment.Status.SUBMITTED
    )


def late_changes(project, change) -> list[str]:
    """Race `change(screen's assignment, person)` against an accept, TRIALS times; the
    trials where the change landed after the acceptance."""
    annotator = member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    late = []
    for n in range(TRIALS):
        version = submitted_version(project, annotator, n)
        # Both screens read the assignment before either button is pressed, as the
        # views do at the start of their requests.
        annotator_screen = Assignment.objects.select_related("document").get(
            pk=version.pk
        )
        reviewer_screen = Assignment.objects.get(pk=version.pk)
        errors = race(
            lambda screen=annotator_screen: change(screen, person),
            lambda screen=reviewer_screen: decisions.accept(screen, reviewer=reviewer),
        )
        assert errors == []
        reviewer_screen.refresh_from_db()
        assert reviewer_screen.review_state == Assignment.ReviewState.ACCEPTED
        # Each side bumps the version once, under the row lock: a change whose bump
        # came second landed after the acceptance.
        stored = Span.objects.filter(assignment=version).exists()
        changed_at = annotator_screen.version  # touch() reads back what it made
        if stored and changed_at > version.version + 1:
            late.append(f"trial {n}: the change made version {changed_at}")
    return late


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_span_is_stored_after_an_acceptance_in_fifty_races(project):
    def add(assignment, person):
        labelling.add_span(assignment=assignment, start=0, end=13, label=person)

    assert late_changes(project, add) == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_suggestion_is_accepted_after_an_acceptance_in_fifty_races(project):
    def accept_all(assignment, person):
        labelling.accept_suggestions(
            assignment=assignment,
            suggestions=[Suggestion(0, 13, person.pk, "Sergey Lavrov")],
            labels={person.pk: person},
        )

    assert late_changes(project, accept_all) == []
