"""An invitation's life: made by a manager, opened logged out, an account taken with a
password Django's validators accept, landing in the project with the role; used,
expired, withdrawn and unknown links refused with a clear reason; an invitation for
an account that exists, accepted by logging in."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from annotate.models import Invitation, Membership
from annotate.models.people import token_hash
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "plum-orchard-47"


def body(response) -> str:
    return html.unescape(response.content.decode())


def words(response) -> str:
    """What the page says, without its tags."""
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def invite(manager_client, project, who, role="annotator") -> str:
    """The link a manager is shown after inviting `who`."""
    response = manager_client.post(
        reverse("annotate:invite", args=[project.slug]), {"who": who, "role": role}
    )
    assert response.status_code == 302, body(response)
    page = body(manager_client.get(response["Location"]))
    return re.search(r'id="invitation-link" value="([^"]+)"', page).group(1)


def path_of(link: str) -> str:
    return link.split("testserver", 1)[1]


def take_account(client, link, username="newcomer", password=GOOD_PASSWORD, email=""):
    return client.post(
        path_of(link),
        {
            "username": username,
            "email": email,
            "password1": password,
            "password2": password,
        },
    )


def test_it_pins_the_public_path():
    assert reverse("annotate:invitation", args=["abc"]) == "/invitations/abc/"


def test_an_invitee_takes_an_account_and_lands_in_the_project_logged_in(
    manager_client, project, manager
):
    link = invite(manager_client, project, "newcomer", role="reviewer")
    stored = Invitation.objects.get()
    assert stored.token_hash == token_hash(link.rstrip("/").rsplit("/", 1)[1])
    assert link.rstrip("/").rsplit("/", 1)[1] not in stored.token_hash

    visitor = Client()
    page = visitor.get(path_of(link))  # logged out: LoginRequiredMiddleware lets it by
    assert page.status_code == 200
    assert "man invites you to label documents in Lavrov in Africa as reviewer" in (
        words(page)
    )
    assert 'name="username" value="newcomer"' in body(page)  # invited by username

    response = take_account(visitor, link)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "annotate:document-list", args=[project.slug]
    )
    user = get_user_model().objects.get(username="newcomer")
    assert user.check_password(GOOD_PASSWORD)
    assert Membership.objects.get(user=user, project=project).role == "reviewer"
    landed = visitor.get(response["Location"])
    assert landed.status_code == 200  # logged in
    assert "Welcome to Lavrov in Africa. Your role here: reviewer." in body(landed)
    stored.refresh_from_db()
    assert (stored.accepted_by, stored.state) == (user, "accepted")


def test_the_password_must_pass_djangos_validators(manager_client, project):
    link = invite(manager_client, project, "newcomer")
    visitor = Client()
    response = take_account(visitor, link, password="newcomer1")
    assert response.status_code == 400
    text = body(response)
    assert "too similar to the username" in text or "too common" in text
    response = take_account(visitor, link, password="12345678")
    assert "entirely numeric" in body(response)
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert Invitation.objects.get().state == "pending"


def test_a_used_link_is_refused(manager_client, project):
    link = invite(manager_client, project, "newcomer")
    take_account(Client(), link)
    again = Client()
    response = again.get(path_of(link))
    assert response.status_code == 410
    assert "This invitation was already used" in body(response)
    response = take_account(again, link, username="second")
    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="second").exists()


def test_an_expired_link_is_refused(manager_client, project):
    link = invite(manager_client, project, "newcomer")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    visitor = Client()
    response = visitor.get(path_of(link))
    assert response.status_code == 410
    assert "This invitation expired on" in body(response)
    assert "Ask man for a new one" in body(response)
    assert take_account(visitor, link).status_code == 410
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_a_withdrawn_link_is_refused(manager_client, project):
    link = invite(manager_client, project, "newcomer")
    invitation = Invitation.objects.get()
    response = manager_client.post(
        reverse("annotate:invitation-revoke", args=[project.slug, invitation.pk])
    )
    assert response.status_code == 302
    visitor = Client()
    response = visitor.get(path_of(link))
    assert response.status_code == 410
    assert "This invitation was withdrawn" in body(response)
    assert take_account(visitor, link).status_code == 410


def test_an_unknown_link_says_so(client):
    response = client.get(reverse("annotate:invitation", args=["not-a-token"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in body(response)


def test_inviting_again_withdraws_the_earlier_link(manager_client, project):
    first = invite(manager_client, project, "newcomer")
    second = invite(manager_client, project, "NEWCOMER", role="reviewer")
    assert Client().get(path_of(first)).status_code == 410
    assert Client().get(path_of(second)).status_code == 200


def test_an_invitation_by_e_mail_is_mailed_and_the_account_keeps_the_address(
    manager_client, project
):
    link = invite(manager_client, project, "amina@example.org")
    (message,) = mail.outbox
    assert message.to == ["amina@example.org"]
    assert link in message.body
    assert "Lavrov in Africa" in message.subject
    page = body(manager_client.get(reverse("annotate:manage", args=[project.slug])))
    assert "amina@example.org" in page  # pending, listed
    visitor = Client()
    response = take_account(visitor, link, username="amina", email="amina@example.org")
    assert response.status_code == 302
    user = get_user_model().objects.get(username="amina")
    assert user.email == "amina@example.org"


def test_the_link_is_shown_once(manager_client, project):
    invite(manager_client, project, "newcomer")
    again = body(manager_client.get(reverse("annotate:manage", args=[project.slug])))
    assert 'id="invitation-link"' not in again


def test_an_existing_user_joins_by_logging_in_and_pressing_join(
    manager_client, project, outsider
):
    link = invite(manager_client, project, "out", role="annotator")
    visitor = Client()
    page = visitor.get(path_of(link))
    assert "This invitation is for your account out" in words(page)
    assert 'name="password1"' not in body(page)
    visitor.force_login(outsider)
    page = visitor.get(path_of(link))  # opening does not use it up
    assert "Join as out" in body(page)
    assert not Membership.objects.filter(user=outsider, project=project).exists()
    response = visitor.post(path_of(link))
    assert response.status_code == 302
    assert Membership.objects.get(user=outsider, project=project).role == "annotator"
    assert (
        visitor.get(reverse("annotate:document-list", args=[project.slug])).status_code
        == 200
    )


def test_an_invitation_for_one_account_is_not_taken_by_another(manager_client, project):
    make_user("intended")
    link = invite(manager_client, project, "intended")
    other = Client()
    other.force_login(make_user("someone-else"))
    response = other.post(path_of(link))
    assert response.status_code == 403
    assert "This invitation is for the account intended" in body(response)
    assert Invitation.objects.get().state == "pending"


def test_a_taken_username_is_refused_with_the_reason(manager_client, project):
    make_user("taken")
    link = invite(manager_client, project, "someone@example.org")
    response = take_account(Client(), link, username="taken")
    assert response.status_code == 400
    assert "A user with that username already exists" in body(response)
