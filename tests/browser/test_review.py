"""The review queue and the adjudication screen in headless Chromium, by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Document, ReviewEvent, Span
from tests.annotated_world import annotate_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review_screen(project, reviewer, live_server, log_in, page):
    """Three annotators' versions of "Lavrov" (tests/annotated_world.py); the reviewer
    opens the queue and the first, most disputed document."""
    annotate_project(project)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, "rev")
    page.goto(f"{live_server.url}/p/{project.slug}/")
    page.click("nav.actions a:text-is('Review')")
    page.click("#queue-table a:text-is('Lavrov')")
    page.wait_for_selector("#adjudication")
    page.wait_for_load_state("load")  # review.js (deferred) listens to the keys
    return page


def gold_spans() -> list[tuple[str, str]]:
    gold = Span.objects.filter(assignment__is_gold=True)
    return sorted(gold.values_list("text", "label__name"))


@pytest.mark.screenshots
def test_it_adjudicates_a_document_by_keyboard(review_screen, project, screenshots):
    page = review_screen
    lavrov = Document.objects.get(title="Lavrov")
    page.keyboard.press("j")  # the first row: Sergey Lavrov, PERSON, all three agree
    expect(page.locator(".item-row").first).to_be_focused()
    page.keyboard.press("t")
    expect(page.locator(".item-row.in-gold")).to_have_count(1)
    assert gold_spans() == [("Sergey Lavrov", "PERSON")]
    page.keyboard.press("j")  # Bamako: a1 and a3 say GPE...
    page.keyboard.press("j")  # ...and a2 says LOC: take a2's
    page.keyboard.press("2")
    expect(page.locator(".item-row.in-gold")).to_have_count(2)
    assert gold_spans() == [("Bamako", "LOC"), ("Sergey Lavrov", "PERSON")]
    # The focus stays on the row across the swap, so keys go on where they were.
    expect(page.locator(".item-row").nth(2)).to_be_focused()
    page.keyboard.press("x")  # ...no, remove it again
    expect(page.locator(".item-row.in-gold")).to_have_count(1)
    page.keyboard.press("Shift+A")  # everything at least 2 of 3 agree on
    expect(page.locator("#flash")).to_contain_text("3 item(s) taken")
    assert gold_spans() == [("Bamako", "GPE"), ("Sergey Lavrov", "PERSON")]
    gold = Assignment.objects.get(document=lavrov, is_gold=True)
    assert gold.stances.get().label.name == "against"
    assert gold.ratings.get().label.name == "high"

    page.keyboard.press("d")  # the annotators: a1 accepted, a2 rejected with a comment
    page.keyboard.press("a")
    expect(page.locator("#flash")).to_contain_text("a1's version accepted")
    expect(page.locator(".decision-row").first).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.keyboard.type("Bamako is a city: GPE")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.locator("#flash")).to_contain_text("a2's version rejected")
    states = dict(
        Assignment.objects.filter(document=lavrov, is_gold=False).values_list(
            "annotator__username", "review_state"
        )
    )
    assert states == {"a1": "accepted", "a2": "rejected", "a3": "pending"}
    assert ReviewEvent.objects.get(action="reject").comment == "Bamako is a city: GPE"
    page.locator(".item-row").nth(1).focus()
    page.screenshot(path=str(screenshots / "review.png"), full_page=True)

    page.keyboard.press("Shift+N")  # the next document in the queue
    page.wait_for_url(f"**/review/{Document.objects.get(title='Protests').pk}/**")


@pytest.mark.screenshots
def test_it_shows_the_statistics_page(review_screen, project, live_server, screenshots):
    page = review_screen
    page.keyboard.press("Shift+A")
    expect(page.locator("#flash")).to_contain_text("item(s) taken")
    page.goto(f"{live_server.url}/p/{project.slug}/stats/")
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=str(screenshots / "stats.png"), full_page=True)
