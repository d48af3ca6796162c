"""Hostile content in headless Chromium: every screen, with a payload in every field a
user or a file can fill, opens no dialog, runs no script, and shows the text as text."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.browser.conftest import browser_type_launch_args  # noqa: F401 (fixture)
from tests.security.hostile import PAYLOADS, hostile_world
from tests.security.test_hostile_content import app_get_urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOWNLOADS = re.compile(r"/download/|\.jsonl$")  # files, not screens
ADMIN_PAGES = (
    "/admin/annotate/document/",
    "/admin/annotate/assignment/",
    "/admin/annotate/span/",
    "/admin/annotate/source/",
    "/admin/annotate/entity/",
)


# What in the live DOM could run script: handlers, script URLs, frames, foreign scripts.
# (Sanitised guideline Markdown may keep a plain <img>; without a handler it runs nothing.)
# A form field's value is text the browser shows and never runs (the manage page's
# label editor holds label names there), so only other attributes are suspects.
INJECTED = """[...document.querySelectorAll('*')].filter(e =>
    [...e.attributes].some(a => a.name.startsWith('on')
        || (!(a.name === 'value' && e.tagName === 'INPUT')
            && /^\\s*(javascript|vbscript|data:text)/i.test(a.value)))
    || ['IFRAME', 'OBJECT', 'EMBED'].includes(e.tagName)
    || (e.tagName === 'SCRIPT' && !/^\\/(static|admin)\\//.test(e.getAttribute('src') || ''))
).map(e => e.outerHTML.slice(0, 200))"""


# After the load event: one frame drawn and the tasks queued meanwhile run, so whatever
# a payload scheduled on load (a toggle, a timer of 0) has had its chance to fire.
SETTLED = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))"


def session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": live_server.url,
    }


def test_no_screen_runs_a_script_from_the_data(world, live_server, page):
    hostile = hostile_world(world)
    world.root.is_staff = True
    world.root.save()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    visited = 0
    for user, extra in ((world.ann, ()), (world.root, ADMIN_PAGES)):
        page.context.clear_cookies()
        page.context.add_cookies([session_cookie(user, live_server)])
        pages = [u for u in app_get_urls(world, hostile) if not DOWNLOADS.search(u)]
        for url in [*pages, *extra]:
            response = page.goto(live_server.url + url)  # waits for the load event
            assert response.status < 500, f"{url}: {response.status}"
            page.evaluate(SETTLED)
            visited += 1
            injected = page.evaluate(INJECTED)
            assert injected == [], f"{url}: {injected}"
        page.goto(
            f"{live_server.url}/p/{world.project.slug}/a/{hostile.assignment.pk}/"
        )
        page.evaluate(SETTLED)
        if user == world.ann:
            # The annotator's screen shows the payloads as the article's words.
            shown = page.locator("#doc-text").inner_text()
            assert PAYLOADS[0] in shown and PAYLOADS[1] in shown
    assert visited > 20
    assert dialogs == [], f"dialogs opened: {dialogs}"
    assert errors == [], f"script errors: {errors}"
