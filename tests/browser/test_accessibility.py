"""Accessibility and the content security policy, screen by screen, in headless
Chromium: axe-core finds no serious or critical problem in light or dark at a desktop
or a phone's width; the rows the keys act on have roles and names; every main screen
opens without a CSP violation or a console error; and a form gone stale (a new login
in another tab) gets a message, not Django's page with its inline style."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from annotate.models import Span
from annotate.views.htmx import STALE_PAGE
from tests.browser.screens import build_world, open_screen, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
SERIOUS = {"serious", "critical"}


@pytest.fixture
def world(project):
    return build_world(project)


def serious_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    violations = AXE.run(page).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in violations
        if violation["impact"] in SERIOUS
    ]


def test_axe_finds_nothing_serious_in_light_or_dark(world, live_server, log_in, page):
    # The screens in one test: building the world takes longer than checking a screen.
    found = {}
    for name in ("projects", "annotate", "review", "exports"):
        page.set_viewport_size({"width": 1400, "height": 900})
        open_screen(page, live_server, log_in, world.screen(name))
        for width in (1400, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                found[f"{name} {width} {scheme}"] = serious_problems(page)
    assert found == {key: [] for key in found}


def test_the_annotation_screen_names_its_rows_and_buttons(
    world, live_server, log_in, page
):
    open_screen(page, live_server, log_in, world.screen("annotate"))
    spans = page.get_by_role("list", name="Suggestions and spans")
    expect(
        spans.get_by_role(
            "listitem", name="Sergey Lavrov, PERSON, linked to Sergey Lavrov"
        )
    ).to_have_attribute("tabindex", "0")
    expect(spans.get_by_role("button", name="Delete Reuters")).to_be_visible()
    expect(
        spans.get_by_role("button", name="Link Reuters to an entity")
    ).to_be_visible()
    expect(
        spans.get_by_role("listitem", name="Suggested: Bamako, GPE").first
    ).to_be_visible()
    expect(
        spans.get_by_role("button", name="Accept Bamako as GPE").first
    ).to_be_visible()
    stance = page.get_by_role("group", name="Stance toward Russia")
    expect(stance).to_have_attribute("tabindex", "0")
    # The choice made is told without colour: pressed, and only that one.
    choices = stance.locator("form.choices")
    expect(choices.get_by_role("button", pressed=True)).to_have_text("favor")
    expect(choices.get_by_role("button", pressed=False)).to_have_count(3)
    source = page.get_by_role("group", name="Reliability of Maliweb (publisher)")
    expect(source.get_by_role("button", name="4 high", pressed=True)).to_be_visible()
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()
    expect(
        page.get_by_role("group", name="Entity labels").get_by_role("button")
    ).to_have_count(7)
    expect(page.get_by_role("textbox", name="Another source")).to_be_visible()


def test_the_review_screen_names_its_rows_and_buttons(world, live_server, log_in, page):
    open_screen(page, live_server, log_in, world.screen("review"))
    row = page.get_by_role("row", name="Bamako, GPE: 2 of 3 agree, not in gold")
    expect(row).to_have_attribute("tabindex", "0")
    expect(row.get_by_role("button", name="Take a1's GPE")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(page.get_by_role("group", name="a2's version, pending")).to_be_visible()
    page.get_by_role(
        "row", name="Sergey Lavrov, PERSON: 3 of 3 agree, not in gold"
    ).focus()
    page.keyboard.press("t")
    row = page.get_by_role("row", name="Sergey Lavrov, PERSON: 3 of 3 agree, in gold")
    expect(
        row.get_by_role("button", name="Remove Sergey Lavrov from gold")
    ).to_be_visible()


def test_no_screen_breaks_the_csp_or_logs_an_error(world, live_server, log_in, page):
    problems = watch_csp(page)
    found = {}
    for screen in world.screens:
        before = len(problems)
        open_screen(page, live_server, log_in, screen)
        found[screen.name] = problems[before:]
    assert found == {name: [] for name in found}


def span_row(page, text: str):
    """The span row whose own chip reads `text` (rows also quote the words around)."""
    chip = page.locator("mark.chip", has_text=text)
    return page.locator("#span-list .span-row").filter(has=chip)


def test_labelling_and_reviewing_break_no_csp_rule(world, live_server, log_in, page):
    problems = watch_csp(page)
    open_screen(page, live_server, log_in, world.screen("annotate"))
    start = world.article.document.text.index("Mauritania")
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 10})")
    page.keyboard.press("c")
    expect(span_row(page, "Mauritania")).to_have_count(1)
    page.keyboard.press("y")  # the first suggestion
    expect(span_row(page, "Bamako")).to_have_count(1)
    span_row(page, "Reuters").focus()
    page.keyboard.press("Enter")  # the link panel
    expect(page.locator("#link-panel")).to_contain_text("Link “Reuters”")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    open_screen(page, live_server, log_in, world.screen("review"))
    page.keyboard.press("j")
    page.keyboard.press("t")
    expect(page.locator(".item-row.in-gold")).to_have_count(1)
    assert problems == []


def test_a_stale_form_gets_a_message_and_no_blocked_style(
    world, live_server, log_in, page
):
    """A new login in another tab changes the CSRF token under an open screen. Django's
    own refusal page has an inline <style>: htmx swapped it over the text, and the CSP
    blocked its style. Now the flash line says what to do and the text stays."""
    problems = watch_csp(page)
    open_screen(page, live_server, log_in, world.screen("annotate"))
    page.context.add_cookies(
        [{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}]
    )
    start = world.article.document.text.index("Mauritania")
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 10})")
    page.keyboard.press("c")
    expect(page.locator("#flash")).to_have_text(STALE_PAGE)
    expect(page.locator("#doc-text")).to_contain_text("Mauritania")
    assert not Span.objects.filter(text="Mauritania").exists()
    assert [
        problem
        for problem in problems
        if "Content Security Policy" in problem or "CSP" in problem
    ] == []
