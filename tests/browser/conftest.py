"""Browser tests drive Debian's Chromium (Playwright cannot download its own here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# the tests themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def log_in(live_server):
    """Log a Playwright page (its whole browser context) in as a user: a session made on
    the server, its cookie handed to the browser. Going through the form costs a page
    load, a POST and a redirect each time; test_login.py goes through it once."""

    def log_in(page, username: str):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )
        return page

    return log_in


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """The folder the screenshot tests save their pictures in: a temporary one, so a
    test run never rewrites a committed file, unless NEWSAPP_SCREENSHOTS names another
    (relative to the repository): `make screenshots` sets it to docs to refresh the
    README's pictures."""
    folder = os.environ.get("NEWSAPP_SCREENSHOTS")
    if not folder:
        return tmp_path_factory.mktemp("screenshots")
    path = ROOT / folder
    path.mkdir(parents=True, exist_ok=True)
    return path
