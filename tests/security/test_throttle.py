"""Login throttling (newsapp/throttle.py): password guessing is stopped after a few tries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import make_user


@pytest.fixture
def victim(db):
    return make_user("victim", password="right-password-1")


def attempt(client: Client, username: str, password: str, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def guess(client: Client, username: str, times: int, **extra) -> None:
    for number in range(times):
        response = attempt(client, username, f"wrong-{number}", **extra)
        assert response.status_code == 200  # the ordinary "didn't match" page


def test_it_lets_a_user_in_after_a_few_typos(victim, client):
    guess(client, "victim", 4)
    response = attempt(client, "victim", "right-password-1")
    assert response.status_code == 302


def test_it_refuses_the_right_password_after_five_failures(victim, client):
    guess(client, "victim", 5)
    response = attempt(client, "victim", "right-password-1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_says_why_the_login_is_refused(victim, client):
    guess(client, "victim", 5)
    response = attempt(client, "victim", "right-password-1")
    assert "Too many failed logins" in response.content.decode()


def test_it_counts_failures_per_username_whatever_the_address(victim):
    for number in range(5):
        address = f"10.0.0.{number}"
        attempt(Client(REMOTE_ADDR=address), "victim", "wrong")
    response = attempt(Client(REMOTE_ADDR="10.0.9.9"), "victim", "right-password-1")
    assert response.status_code == 429


def test_it_counts_failures_per_address_across_usernames(victim, settings):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for number in range(settings.LOGIN_THROTTLE_IP_FAILURES):
        attempt(client, f"someone-{number}", "wrong")
    response = attempt(client, "victim", "right-password-1")
    assert response.status_code == 429


def test_it_does_not_lock_other_users_out(victim, client):
    make_user("bystander", password="bystander-password-1")
    guess(client, "victim", 5)
    response = attempt(
        Client(REMOTE_ADDR="10.2.2.2"), "bystander", "bystander-password-1"
    )
    assert response.status_code == 302


def test_it_forgives_failures_once_the_window_has_passed(victim, client):
    guess(client, "victim", 5)
    # The counts live in the database cache table; age them past the window.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE newsapp_throttle SET expires = now() - interval '1 second'"
        )
    response = attempt(client, "victim", "right-password-1")
    assert response.status_code == 302


def test_it_throttles_the_admin_login_too(victim, client):
    victim.is_staff = True
    victim.save()
    for number in range(5):
        client.post("/admin/login/", {"username": "victim", "password": f"w{number}"})
    client.post("/admin/login/", {"username": "victim", "password": "right-password-1"})
    assert "_auth_user_id" not in client.session


def test_it_keeps_the_counts_in_the_database(victim, client):
    guess(client, "victim", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM newsapp_throttle")
        assert cursor.fetchone()[0] >= 1


def test_it_reads_the_client_address_from_the_proxy_header_when_told(victim, settings):
    settings.LOGIN_THROTTLE_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for number in range(settings.LOGIN_THROTTLE_IP_FAILURES):
        attempt(
            Client(REMOTE_ADDR="10.9.9.9"),
            f"someone-{number}",
            "wrong",
            headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
        )
    # Another client behind the same proxy is not locked out.
    response = attempt(
        Client(REMOTE_ADDR="10.9.9.9"),
        "victim",
        "right-password-1",
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert response.status_code == 302
