"""A `full` file speaks only for whoever restores it (issue 19, item 4).

A manager who uploads a hand-written full file naming this installation's users gets
every version attributed to imported identities: nobody here becomes a member, no
assignment is anyone's, no review decision is kept in anyone's name and no ReviewEvent
is written. A superuser's restore keeps the names, and each decision it keeps gets a
ReviewEvent saying it was a restore, by that superuser.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.fullformat import FORMAT_NAME, FORMAT_VERSION
from annotate.models import Assignment, ImportRun, Membership, ReviewEvent, Span
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TEXT = "Sergey Lavrov arrived in Bamako on Monday."


def forged_full_file(annotator: str, reviewer: str) -> bytes:
    """A hand-written full file: `annotator`'s work, accepted by `reviewer` with a
    comment neither of them wrote, and a gold version in `reviewer`'s name."""
    header = {
        "kind": "project",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "project": {"guidelines": "", "overlap": 2, "blind": False},
        "labels": [{"kind": "entity", "name": "PERSON"}],
    }
    span = {"start": 0, "end": 13, "text": "Sergey Lavrov", "label": "PERSON"}
    document = {
        "kind": "document",
        "text": TEXT,
        "title": "Lavrov in Mali",
        "assignments": [
            {
                "annotator": annotator,
                "status": "submitted",
                "review_state": "accepted",
                "reviewer": reviewer,
                "review_comment": "Perfect work, approved by the boss.",
                "reviewed_at": "2026-11-01T10:00:00+00:00",
                "spans": [span],
            },
            {
                "annotator": reviewer,
                "is_gold": True,
                "status": "submitted",
                "review_state": "accepted",
                "spans": [span],
            },
        ],
    }
    lines = [json.dumps(header), json.dumps(document)]
    return ("\n".join(lines) + "\n").encode()


def upload(client, project, body: bytes, capture):
    with capture(execute=True):
        response = client.post(
            reverse("annotate:import", args=[project.slug]),
            {
                "file": SimpleUploadedFile("restore.jsonl", body, "application/json"),
                "format": "full",
            },
        )
    assert response.status_code == 302
    run = ImportRun.objects.latest("pk")
    assert (run.status, run.imported, run.rejected) == ("done", 1, 0)
    return run


@pytest.fixture
def people(db):
    """Two people of this installation, neither a member of the project."""
    alice = make_user("alice")
    root = make_user("root", is_superuser=True, is_staff=True)
    return alice, root


def test_a_managers_forged_full_file_speaks_for_nobody_here(
    client, project, manager, people, django_capture_on_commit_callbacks
):
    alice, root = people
    client.force_login(manager)

    upload(
        client,
        project,
        forged_full_file("alice", "root"),
        django_capture_on_commit_callbacks,
    )

    assignments = Assignment.objects.filter(document__project=project)
    assert assignments.count() == 2
    # Every version hangs off an inactive imported identity, none off alice or root.
    for assignment in assignments.select_related("annotator"):
        assert assignment.is_imported
        assert assignment.annotator.username.startswith("imported:")
        assert not assignment.annotator.is_active
        assert assignment.annotator_id not in (alice.pk, root.pk, manager.pk)
    # No decision in anyone's name: the forged acceptance and its comment are dropped.
    work = assignments.get(is_gold=False)
    assert work.review_state == Assignment.ReviewState.PENDING
    assert work.reviewer is None and work.review_comment == ""
    assert not ReviewEvent.objects.filter(
        assignment__document__project=project
    ).exists()
    # Nobody was made a member.
    assert not Membership.objects.filter(project=project, user__in=people).exists()
    assert set(
        Membership.objects.filter(project=project).values_list(
            "user__username", flat=True
        )
    ) == {"man"}
    # The work itself is kept, as imported work.
    assert Span.objects.filter(assignment=work).count() == 1


def test_a_managers_forged_file_never_touches_a_members_assignment(
    client, project, manager, django_capture_on_commit_callbacks
):
    """Even when alice is a member, the forged version is not written into her name."""
    alice = make_user("alice")
    Membership.objects.create(user=alice, project=project, role="annotator")
    client.force_login(manager)

    upload(
        client,
        project,
        forged_full_file("alice", "man"),
        django_capture_on_commit_callbacks,
    )

    assert not Assignment.objects.filter(annotator=alice).exists()
    assert not Assignment.objects.filter(reviewer=manager).exists()
    assert not ReviewEvent.objects.exists()


def test_a_superusers_restore_keeps_names_and_says_it_was_a_restore(
    client, project, people, django_capture_on_commit_callbacks
):
    alice, root = people
    admin = make_user("admin", is_superuser=True, is_staff=True)
    client.force_login(admin)

    upload(
        client,
        project,
        forged_full_file("alice", "root"),
        django_capture_on_commit_callbacks,
    )

    work = Assignment.objects.get(document__project=project, is_gold=False)
    assert (work.annotator, work.is_imported) == (alice, False)
    assert (work.review_state, work.reviewer) == ("accepted", root)
    assert work.review_comment == "Perfect work, approved by the boss."
    [event] = ReviewEvent.objects.filter(assignment=work)
    assert event.via == ReviewEvent.Via.RESTORE
    assert event.actor == admin  # who restored it, not who the file says reviewed it
    assert event.action == ReviewEvent.Action.ACCEPT
    assert "restore" in event.comment
    roles = dict(
        Membership.objects.filter(project=project).values_list("user__username", "role")
    )
    # The people it names are members again (root first as the gold's annotator).
    assert roles == {"alice": "annotator", "root": "annotator"}
