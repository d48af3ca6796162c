"""Undo from the keyboard, and two tabs of one annotator, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Span, StanceTarget
from tests.conftest import make_document, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Sergey Lavrov met Assimi Goita in Bamako, Politico reported."


@pytest.fixture
def assignment(project):
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    document = make_document(project, text=TEXT, title="Lavrov in Bamako")
    return Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )


def open_screen(page, live_server, assignment):
    page.goto(
        f"{live_server.url}/p/{assignment.document.project.slug}/a/{assignment.pk}/"
    )
    page.wait_for_selector("#doc-text")
    return page


def label_text(page, fragment: str, key: str) -> None:
    start = TEXT.index(fragment)
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + len(fragment)})")
    page.keyboard.press(key)


def test_it_deletes_a_span_by_key_and_undoes_it(live_server, log_in, page, assignment):
    log_in(page, "ann")
    open_screen(page, live_server, assignment)
    label_text(page, "Assimi Goita", "p")
    rows = page.locator("#span-list .span-row")
    expect(rows).to_have_count(1)
    rows.first.focus()
    page.keyboard.press("Delete")
    expect(rows).to_have_count(0)
    page.keyboard.press("u")
    expect(rows).to_have_count(1)
    assert list(Span.objects.values_list("text", "label__name")) == [
        ("Assimi Goita", "PERSON")
    ]


def test_it_undoes_a_stance_by_key_and_leaves_the_text_alone(
    live_server, log_in, page, assignment
):
    log_in(page, "ann")
    open_screen(page, live_server, assignment)
    label_text(page, "Assimi Goita", "p")
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    page.click("#stance-panel >> text=against")
    expect(page.locator("#stance-panel .chosen")).to_have_count(1)
    page.locator("#doc-text").click()
    page.keyboard.press("u")
    expect(page.locator("#stance-panel .chosen")).to_have_count(0)
    # The text and the span list are where they were, the span still drawn.
    expect(page.locator("#doc-text mark.span")).to_have_count(1)
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    assert not assignment.stances.exists()


def test_it_keeps_the_work_of_two_tabs(live_server, log_in, browser, assignment):
    context = browser.new_context()
    first = log_in(context.new_page(), "ann")
    open_screen(first, live_server, assignment)
    second = open_screen(context.new_page(), live_server, assignment)
    label_text(first, "Sergey Lavrov", "p")
    expect(first.locator("#span-list .span-row")).to_have_count(1)
    # The second tab still shows the document without that span, and adds its own.
    label_text(second, "Bamako", "c")
    expect(second.locator("#span-list .span-row")).to_have_count(2)
    expect(second.locator("#flash")).to_contain_text("Another tab changed")
    # Undo in the second tab now knows the current version: it takes back Bamako.
    second.keyboard.press("u")
    expect(second.locator("#span-list .span-row")).to_have_count(1)
    # The first tab is out of date: its undo is refused and it is shown the fresh state.
    first.keyboard.press("u")
    expect(first.locator("#flash")).to_contain_text("changed in another tab")
    assert list(Span.objects.values_list("text", flat=True)) == ["Sergey Lavrov"]
