"""The API's browsable docs under the strict CSP: Swagger UI from our static files,
started by a static script, and a logged-in user's "Try it out" going through with the
session and its CSRF token."""

from __future__ import annotations

import pytest

from annotate.models import Membership, Project
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_runs_under_the_csp_and_tries_requests(
    page, live_server, log_in, screenshots
):
    project, _ = Project.objects.get_or_create_with_labels("mali", name="Mali")
    Membership.objects.create(user=make_user("man"), project=project, role="manager")
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "requestfailed",
        lambda r: (
            problems.append(f"failed {r.url}")
            if "127.0.0.1" in r.url or "localhost" in r.url
            else None
        ),
    )
    outside = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    log_in(page, "man")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() > 30
    # Try it out: a write through the session, which needs the CSRF header.
    page.click("#operations-webhooks-create_webhook .opblock-summary")
    page.click("#operations-webhooks-create_webhook .try-out__btn")
    page.fill("#operations-webhooks-create_webhook input[placeholder=slug]", "mali")
    page.fill(
        "#operations-webhooks-create_webhook textarea.body-param__text",
        '{"url": "https://example.org/hook", "events": ["gold.changed"]}',
    )
    page.click("#operations-webhooks-create_webhook .execute")
    live = "#operations-webhooks-create_webhook .live-responses-table tbody .response-col_status"
    page.wait_for_selector(live)
    assert "201" in page.locator(live).first.inner_text()
    assert project.webhooks.count() == 1
    page.set_viewport_size({"width": 1400, "height": 900})
    page.screenshot(path=screenshots / "api-docs.png", full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "api-docs-390.png")
    assert not [
        p for p in problems if "Content Security Policy" in p or "Refused" in p
    ], problems
    assert not outside, outside
