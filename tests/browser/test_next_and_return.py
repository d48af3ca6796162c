"""The queue in Chromium: a rejected document comes back through Next with the
reviewer's comment on top, and Shift+N moves on, leaving documents open in My work."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment
from annotate.review.decisions import reject
from tests.conftest import make_document, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Sergey Lavrov is a person; also label Bamako as a place."
TITLES = ("Lavrov in Bamako", "Goita in Moscow", "Niger talks")


def shoot(page, folder: Path, name: str) -> None:
    """The page at a desktop and a phone width, for a person to look at."""
    for width, height in ((1400, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def on_screen(page, title: str) -> None:
    """The annotation screen of `title`, its keys live (annotate.js is deferred)."""
    expect(page.locator("h1")).to_have_text(title)
    page.wait_for_function("() => window.newsapp !== undefined")


def test_rejected_work_comes_back_and_next_moves_on(
    project, live_server, log_in, page, screenshots
):
    shots = screenshots
    for title in TITLES:
        make_document(
            project,
            title=title,
            text=f"{title}: Sergey Lavrov met Assimi Goita in Bamako on Monday.",
        )
    member(project, "ann", "annotator")
    reviewer = member(project, "rev", "reviewer")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, "ann")

    # Label the first document and submit it: the next one opens.
    page.goto(f"{live_server.url}/p/{project.slug}/")
    page.click("text=Label the next document")
    on_screen(page, TITLES[0])
    text = page.evaluate("document.getElementById('doc-text').textContent")
    start = text.index("Sergey Lavrov")
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 13})")
    page.keyboard.press("o")  # ORG: the slip the reviewer will catch
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    page.keyboard.press("Shift+Enter")
    on_screen(page, TITLES[1])
    first = Assignment.objects.get(document__title=TITLES[0])
    assert first.status == Assignment.Status.SUBMITTED

    # The reviewer rejects it with a comment; the annotator presses Next (Shift+N).
    assert reject(first, reviewer=reviewer, comment=COMMENT)
    page.keyboard.press("Shift+N")
    on_screen(page, TITLES[0])
    banner = page.locator("#returned-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Rejected by rev on")
    expect(banner.locator("#review-comment")).to_have_text(COMMENT)
    expect(banner).to_contain_text("Fix it and submit again")
    shoot(page, shots, "rejected-screen")

    # Shift+N on it leaves it as it is and takes a new document.
    page.keyboard.press("Shift+N")
    on_screen(page, TITLES[2])
    assert Assignment.objects.get(pk=first.pk).review_state == "rejected"

    # My work lists all three: returned, and two in progress left by Next.
    page.click("#my-work-link")
    expect(page.locator("h1")).to_have_text("My work")
    rows = page.locator(".my-work-list tbody tr")
    expect(rows).to_have_count(3)
    returned = rows.filter(has_text=TITLES[0])
    expect(returned).to_contain_text("Returned to you")
    expect(returned).to_contain_text(COMMENT)
    for title in TITLES[1:]:
        expect(rows.filter(has_text=title)).to_contain_text("In progress")
    shoot(page, shots, "my-work")

    # The project page says what came back, and leads to it.
    page.goto(f"{live_server.url}/p/{project.slug}/")
    expect(page.locator("#returned-link")).to_have_text("1 returned to you")
    shoot(page, shots, "project-page")
    page.click("#returned-link")
    expect(page.locator(".tab[aria-current=page]")).to_contain_text("Returned")
    page.click(".tabs >> text=All")
    expect(rows).to_have_count(3)

    # The returned tab, through htmx, and from there back to the document.
    page.click(".tabs >> text=Returned to you")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/p/{project.slug}/mine/?state=returned")
    rows.first.locator("a").click()
    expect(page.locator("#returned-banner")).to_be_visible()

    # Next from the last new document: the returned one first again, then nothing
    # new is left, and the done page names what is still open.
    page.goto(f"{live_server.url}/p/{project.slug}/mine/?state=in_progress")
    page.click(f"text={TITLES[2]}")
    on_screen(page, TITLES[2])
    page.keyboard.press("Shift+N")
    on_screen(page, TITLES[0])
    page.keyboard.press("Shift+N")
    expect(page.locator("h1")).to_have_text("Nothing left to label")
    expect(page.locator("#still-open")).to_contain_text("2 in progress")
    shoot(page, shots, "queue-done")
