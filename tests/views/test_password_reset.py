"""Password reset by e-mailed link, through Django's own views and our templates,
all reachable logged out."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_a_reset(client):
    page = client.get(reverse("login"))
    assert b"Forgot your password?" in page.content
    assert reverse("password_reset").encode() in page.content


def test_a_forgotten_password_is_reset_through_the_mailed_link(client):
    user = make_user("amina", email="amina@example.org")
    response = client.post(reverse("password_reset"), {"email": "amina@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert b"Check your e-mail" in client.get(response["Location"]).content
    (message,) = mail.outbox
    assert message.to == ["amina@example.org"]
    assert "amina" in message.body
    link = re.search(r"https?://testserver(/password-reset/\S+/)", message.body).group(
        1
    )

    page = client.get(link, follow=True)  # Django swaps the token for a session one
    assert b"Choose a new password" in page.content
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "plum-orchard-47", "new_password2": "plum-orchard-47"},
    )
    assert response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("plum-orchard-47")
    assert Client().login(username="amina", password="plum-orchard-47")
    # Used once: the link says so.
    again = Client().get(link, follow=True)
    assert b"The password reset link was already used or is too old." in again.content


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert not mail.outbox
