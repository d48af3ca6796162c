"""Every screen at every width, from a 390 px phone to a 1400 px desktop, in light and
dark: nothing scrolls sideways, the annotation screen stacks its panels under the text
and keeps the label keys in a bar within reach, and the screenshots in docs/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.models import Span
from tests.browser.screens import (
    ARTICLE,
    build_world,
    open_screen,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
WIDTHS = (390, 600, 900, 1400)

# What sticks out past the right edge of the window, outside any box that scrolls it.
STICKING_OUT = """() => [...document.querySelectorAll("body *")].filter((element) => {
    if (element.getBoundingClientRect().right <= innerWidth + 1) return false;
    for (let box = element.parentElement; box; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (["auto", "scroll", "hidden"].includes(style.overflowX)) return false;
        if (style.position === "fixed") return false;
    }
    return true;
}).map((element) => element.outerHTML.slice(0, 120))"""


@pytest.fixture
def world(project):
    return build_world(project)


def test_no_screen_scrolls_sideways_at_any_width(world, live_server, log_in, page):
    # Every screen in one test: building the world takes longer than opening a screen.
    too_wide = []
    for screen in world.screens:
        page.set_viewport_size(PHONE)
        open_screen(page, live_server, log_in, screen)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                too_wide.append(
                    f"{screen.name} at {width} px is {wide} px wide: "
                    f"{page.evaluate(STICKING_OUT)}"
                )
    assert too_wide == []


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_annotation_screen_puts_its_panels_beside_the_text_on_a_desktop(
    world, live_server, log_in, page
):
    page.set_viewport_size(DESKTOP)
    open_screen(page, live_server, log_in, world.screen("annotate"))
    article, panels = box(page, "article.document"), box(page, "aside.panels")
    assert panels["x"] >= article["x"] + article["width"]
    # The label keys stay in the Entities panel, not in a bar over the page.
    assert (
        page.locator("#entity-labels").evaluate("e => getComputedStyle(e).position")
        == "static"
    )


@pytest.fixture
def phone(world, live_server, log_in, browser):
    """The annotator's screen on a touch phone 390 px wide."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_screen(page, live_server, log_in, world.screen("annotate"))
    yield page
    context.close()


def test_on_a_phone_the_panels_go_under_the_text(phone):
    article = box(phone, "article.document")
    for panel in ("section.panel", "#stance-panel", "#source-panel"):
        assert box(phone, panel)["y"] >= article["y"] + article["height"], panel
        assert box(phone, panel)["width"] <= PHONE["width"]
    # The text is read at the phone's width, not a word a line.
    assert article["width"] >= PHONE["width"] - 40


def test_on_a_phone_a_tap_on_the_label_bar_labels_the_selection(phone, world):
    # Half-way down the article the bar is still along the bottom of the screen.
    phone.locator("#doc-text").evaluate("e => e.scrollIntoView({block: 'center'})")
    bar = phone.locator("#entity-labels")
    expect(bar).to_be_in_viewport()
    bar_box = bar.bounding_box()
    assert bar_box["y"] + bar_box["height"] == pytest.approx(PHONE["height"], abs=1)
    start = ARTICLE.index("Mauritania")
    phone.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 10})")
    bar.get_by_role("button", name="GPE").tap()
    expect(phone.locator("#span-list .span-row", has_text="Mauritania")).to_have_count(
        1
    )
    span = Span.objects.get(assignment=world.article, text="Mauritania")
    assert (span.start, span.label.name) == (start, "GPE")


def test_on_a_phone_a_tap_on_the_label_bar_relabels_the_tapped_span(phone, world):
    phone.locator("#span-list .span-row", has_text="Eritrea").tap()
    phone.locator("#entity-labels").get_by_role("button", name="LOC").tap()
    expect(phone.locator("#span-list .span-row", has_text="Eritrea")).to_contain_text(
        "LOC"
    )
    assert (
        Span.objects.get(assignment=world.article, text="Eritrea").label.name == "LOC"
    )


def shoot(page, folder: Path, name: str, width: int, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(PHONE if width == 390 else DESKTOP)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / f"{name}-{width}-{scheme}.png")


@pytest.mark.screenshots
def test_screenshots_of_the_annotation_and_review_screens(
    world, live_server, log_in, page, screenshots
):
    """docs/annotate-1400-light.png and the rest, with NEWSAPP_SCREENSHOTS=docs."""
    page.set_viewport_size(DESKTOP)
    open_screen(page, live_server, log_in, world.screen("annotate"))
    page.locator("#span-list .span-row", has_text="Reuters").focus()
    for width in (1400, 390):
        for scheme in ("light", "dark"):
            shoot(page, screenshots, "annotate", width, scheme)
    page.emulate_media(color_scheme="light")
    open_screen(page, live_server, log_in, world.screen("review"))
    page.keyboard.press("j")  # Sergey Lavrov: all three agree; into gold
    page.keyboard.press("t")
    expect(page.locator(".item-row.in-gold")).to_have_count(1)
    page.keyboard.press("j")
    for width in (1400, 390):
        for scheme in ("light", "dark"):
            shoot(page, screenshots, "review", width, scheme)
    folder = screenshots
    for name in ("annotate", "review"):
        for width in (1400, 390):
            for scheme in ("light", "dark"):
                assert (folder / f"{name}-{width}-{scheme}.png").stat().st_size > 10_000
