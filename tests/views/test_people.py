"""The people of a project on its manage page: inviting (what is refused and why),
roles, deactivation and reactivation (and what it does to the account and the
work), withdrawing invitations; who may do each."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from annotate.exports import export_lines
from annotate.models import Assignment, Invitation, Label, Membership, Project, Span
from tests.conftest import make_document, make_user, member

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return html.unescape(response.content.decode())


def invite_url(project):
    return reverse("annotate:invite", args=[project.slug])


def member_url(project, membership):
    return reverse("annotate:member-edit", args=[project.slug, membership.pk])


def membership_of(user, project):
    return Membership.objects.get(user=user, project=project)


# Inviting


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("", "This field is required"),
        ("not an@address", "Enter a valid email address"),
        ("has space", "Enter a valid username"),
    ],
)
def test_it_refuses_an_unusable_name_and_keeps_it(manager_client, project, who, reason):
    response = manager_client.post(
        invite_url(project), {"who": who, "role": "annotator"}
    )
    assert response.status_code == 400
    assert reason in body(response)
    if who:
        assert f'value="{who}"' in body(response)
    assert not Invitation.objects.exists()


def test_it_refuses_to_invite_a_member_and_says_what_to_do(
    manager_client, project, annotator
):
    response = manager_client.post(
        invite_url(project), {"who": "ANN", "role": "reviewer"}
    )
    assert response.status_code == 400
    assert "ann is already a member (annotator): change their role" in body(response)
    annotator.email = "ann@example.org"
    annotator.save()
    response = manager_client.post(
        invite_url(project), {"who": "ann@example.org", "role": "reviewer"}
    )
    assert "ann is already a member" in body(response)
    assert not Invitation.objects.exists()


def test_it_says_when_mail_is_not_set_up(manager_client, project, settings):
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    }
    response = manager_client.post(
        invite_url(project),
        {"who": "amina@example.org", "role": "annotator"},
        follow=True,
    )
    assert "Not e-mailed: no mail server is set up" in body(response)
    assert 'id="invitation-link"' in body(response)


def test_it_says_when_the_mail_could_not_go(manager_client, project, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    response = manager_client.post(
        invite_url(project),
        {"who": "amina@example.org", "role": "annotator"},
        follow=True,
    )
    assert "It could not be e-mailed" in body(response)
    assert 'id="invitation-link"' in body(response)
    assert Invitation.objects.get().state == "pending"


def test_withdrawing_twice_says_it_was_already_done(manager_client, project):
    manager_client.post(invite_url(project), {"who": "newcomer", "role": "annotator"})
    invitation = Invitation.objects.get()
    url = reverse("annotate:invitation-revoke", args=[project.slug, invitation.pk])
    first = manager_client.post(url, follow=True)
    assert "Withdrew the invitation for newcomer" in body(first)
    second = manager_client.post(url, follow=True)
    assert "was already revoked" in body(second)
    assert "Waiting for an answer" not in body(second)  # no pending invitation left


# Roles


def test_it_changes_a_members_role(manager_client, project, annotator):
    membership = membership_of(annotator, project)
    response = manager_client.post(
        member_url(project, membership), {"op": "role", "role": "reviewer"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "reviewer"


def test_a_manager_cannot_change_their_own_membership(manager_client, project, manager):
    membership = membership_of(manager, project)
    for data in ({"op": "role", "role": "annotator"}, {"op": "deactivate"}):
        response = manager_client.post(member_url(project, membership), data)
        assert response.status_code == 400
        assert "You cannot change your own membership" in body(response)
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("manager", True)


def test_it_refuses_an_unknown_role(manager_client, project, annotator):
    membership = membership_of(annotator, project)
    response = manager_client.post(
        member_url(project, membership), {"op": "role", "role": "owner"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in body(response)


# Deactivation


@pytest.fixture
def work(project, annotator):
    """A submitted span by the annotator."""
    assignment = Assignment.objects.create(
        document=make_document(project), annotator=annotator
    )
    assignment.submit()
    Span.objects.create(
        assignment=assignment,
        start=0,
        end=13,
        text="Sergey Lavrov",
        label=Label.objects.get(project=project, name="PERSON"),
    )
    return assignment


def test_a_deactivated_member_can_no_longer_log_in_and_their_work_stays(
    manager_client, project, annotator, work
):
    membership = membership_of(annotator, project)
    response = manager_client.post(
        member_url(project, membership), {"op": "deactivate"}, follow=True
    )
    assert "No other project is open to them, so they can no longer log in" in body(
        response
    )
    annotator.refresh_from_db()
    membership.refresh_from_db()
    assert (annotator.is_active, membership.is_active) == (False, False)
    assert not Client().login(username="ann", password="pw-ann")
    # The work: still there, counted on the page and exported.
    assert Assignment.objects.filter(annotator=annotator).count() == 1
    (line,) = export_lines(project, "spans", selection="all")
    assert line["annotator"] == "ann"
    assert "deactivated" in body(response)


def test_a_deactivated_session_ends(manager_client, project, annotator):
    theirs = Client()
    theirs.force_login(annotator)
    manager_client.post(
        member_url(project, membership_of(annotator, project)), {"op": "deactivate"}
    )
    response = theirs.get(reverse("annotate:document-list", args=[project.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_member_active_elsewhere_keeps_their_account_but_loses_the_project(
    manager_client, project, annotator
):
    other, _ = Project.objects.get_or_create_with_labels("elsewhere")
    Membership.objects.create(user=annotator, project=other, role="annotator")
    response = manager_client.post(
        member_url(project, membership_of(annotator, project)),
        {"op": "deactivate"},
        follow=True,
    )
    assert "is deactivated here; their work stays." in body(response)
    assert "No other project is open to them" not in body(response)
    annotator.refresh_from_db()
    assert annotator.is_active
    theirs = Client()
    theirs.force_login(annotator)
    assert (
        theirs.get(reverse("annotate:document-list", args=[project.slug])).status_code
        == 404
    )
    listed = body(theirs.get(reverse("annotate:project-list")))
    assert "Lavrov in Africa" not in listed and "Elsewhere" in listed


def test_reactivation_reopens_the_account_with_the_old_role(
    manager_client, project, annotator
):
    membership = membership_of(annotator, project)
    membership.role = "reviewer"
    membership.save()
    manager_client.post(member_url(project, membership), {"op": "deactivate"})
    response = manager_client.post(
        member_url(project, membership), {"op": "reactivate"}, follow=True
    )
    assert "ann is back as reviewer" in body(response)
    annotator.refresh_from_db()
    membership.refresh_from_db()
    assert (annotator.is_active, membership.is_active, membership.role) == (
        True,
        True,
        "reviewer",
    )
    assert Client().login(username="ann", password="pw-ann")


def test_an_account_an_administrator_closed_stays_closed(
    manager_client, project, annotator
):
    membership = membership_of(annotator, project)
    manager_client.post(
        member_url(project, membership), {"op": "deactivate"}
    )  # closes it
    get_user_model().objects.filter(pk=annotator.pk).update(is_active=False)
    Membership.objects.filter(pk=membership.pk).update(closed_account=False)
    response = manager_client.post(
        member_url(project, membership), {"op": "reactivate"}, follow=True
    )
    assert "closed by an administrator and stays closed" in body(response)
    annotator.refresh_from_db()
    assert not annotator.is_active


def test_staff_accounts_are_never_closed_from_a_project(manager_client, project):
    staff = member(project, "staffer", "annotator")
    staff.is_staff = True
    staff.save()
    manager_client.post(
        member_url(project, membership_of(staff, project)), {"op": "deactivate"}
    )
    staff.refresh_from_db()
    assert staff.is_active


def test_a_deactivated_member_cannot_be_invited_back_round_the_reactivation(
    manager_client, project, annotator
):
    manager_client.post(
        member_url(project, membership_of(annotator, project)), {"op": "deactivate"}
    )
    response = manager_client.post(
        invite_url(project), {"who": "ann", "role": "manager"}
    )
    assert "ann is a deactivated member: reactivate them" in body(response)


# Who may


@pytest.mark.parametrize("name", ["invite", "member-edit", "invitation-revoke"])
def test_people_are_managed_by_managers_only(
    name, project, annotator, client, outsider, manager
):
    invitation = Invitation.objects.create(
        project=project,
        username="someone",
        token_hash="x" * 64,
        expires_at="2999-01-01T00:00Z",
    )
    pk = {
        "member-edit": membership_of(manager, project).pk,
        "invitation-revoke": invitation.pk,
    }
    args = [project.slug] + ([pk[name]] if name in pk else [])
    url = reverse(f"annotate:{name}", args=args)
    data = {"who": "x", "role": "annotator", "op": "deactivate"}
    client.force_login(annotator)
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.post(url, data).status_code == 404
    assert membership_of(manager, project).is_active
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    assert Invitation.objects.count() == 1
    assert not mail.outbox


def test_an_invitation_or_member_of_another_project_is_not_found(
    manager_client, project, outsider
):
    theirs = Membership.objects.get(user=outsider)
    response = manager_client.post(member_url(project, theirs), {"op": "deactivate"})
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active
    other_user = make_user("nobody")
    assert other_user.is_active


def test_a_deactivated_reviewer_active_elsewhere_reviews_nothing_here(
    manager_client, project, reviewer
):
    from annotate.review.decisions import reviewable_projects

    other, _ = Project.objects.get_or_create_with_labels("elsewhere")
    Membership.objects.create(user=reviewer, project=other, role="reviewer")
    assert project in reviewable_projects(reviewer)
    manager_client.post(
        member_url(project, membership_of(reviewer, project)), {"op": "deactivate"}
    )
    reviewer.refresh_from_db()
    assert reviewer.is_active
    assert list(reviewable_projects(reviewer)) == [other]
