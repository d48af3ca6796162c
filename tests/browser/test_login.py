"""Logging in through the form in headless Chromium; the other browser tests are handed
a session instead (conftest.log_in)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_through_the_form_and_lists_the_users_projects(
    project, annotator, live_server, page
):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", "pw-ann")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("main")).to_contain_text("Lavrov in Africa")
