"""The annotation screen in headless Chromium: selection, keys, offsets, sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Label, Rating, Span, Stance, StanceTarget
from tests.conftest import make_document, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "🇲🇱 Bamako 𝔸 welcomed Sergey Lavrov, Politico reported. Lavrov met Assimi Goita in Bamako."
# An element's text without the label tags drawn in it.
TEXT_BUT_TAGS = """element => Array.from(element.childNodes)
    .filter(node => !(node.classList && node.classList.contains("tag")))
    .map(node => node.textContent).join("")"""


@pytest.fixture
def screen(project, live_server, log_in, page):
    """An annotator with the document open in the annotation screen."""
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    make_document(project, text=TEXT, title="Lavrov in Bamako")
    member(project, "ann", "annotator")
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/next/")
    page.wait_for_selector("#doc-text")
    return page


def spans():
    return sorted(Span.objects.values_list("text", "label__name"))


def wait_for_spans(page, count: int) -> None:
    expect(page.locator("#span-list .span-row")).to_have_count(count)


def test_it_stores_exactly_the_selected_non_bmp_characters(screen):
    start = TEXT.index("Bamako 𝔸")
    screen.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 8})")
    screen.keyboard.press("c")  # GPE
    wait_for_spans(screen, 1)
    assert spans() == [("Bamako 𝔸", "GPE")]
    span = Span.objects.get()
    assert (span.start, span.end) == (start, start + 8)


def test_it_labels_a_word_selected_with_the_mouse(screen):
    start = TEXT.index("Politico")
    # Where the word is drawn; then a real drag across it with the mouse.
    box = screen.evaluate(
        f"""() => {{
            window.newsapp.selectCodePoints({start}, {start + 8});
            const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
            window.getSelection().removeAllRanges();
            return {{left: rect.left, right: rect.right, middle: rect.top + rect.height / 2}};
        }}"""
    )
    screen.mouse.move(box["left"] + 1, box["middle"])
    screen.mouse.down()
    screen.mouse.move(box["right"] - 1, box["middle"], steps=5)
    screen.mouse.up()
    screen.click("#entity-labels >> text=ORG")
    wait_for_spans(screen, 1)
    assert spans() == [("Politico", "ORG")]


def test_it_labels_with_the_keyboard_alone(screen):
    screen.keyboard.press("/")
    screen.keyboard.type("Sergey")
    screen.keyboard.press("Enter")
    screen.keyboard.press("Shift+ArrowRight")  # extend the selection by a word
    screen.keyboard.press("p")
    wait_for_spans(screen, 1)
    assert spans() == [("Sergey Lavrov", "PERSON")]


def test_it_draws_nested_spans_inside_each_other(screen):
    start = TEXT.index("Sergey Lavrov")
    screen.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 13})")
    screen.keyboard.press("p")
    wait_for_spans(screen, 1)
    screen.evaluate(f"window.newsapp.selectCodePoints({start + 7}, {start + 13})")
    screen.keyboard.press("m")
    wait_for_spans(screen, 2)
    inner = screen.locator("#doc-text mark.span mark.span")
    # The label's name is drawn at the start of each span, apart from its text.
    expect(inner.locator(".tag")).to_have_text("MISC")
    assert inner.evaluate(TEXT_BUT_TAGS) == "Lavrov"


def test_it_records_stance_and_reliability_and_moves_on(screen, project):
    screen.click("#stance-panel >> text=against")
    screen.wait_for_selector("#stance-panel .chosen")
    row = screen.locator("#source-panel .choice-row", has_text="Politico")
    row.focus()
    screen.keyboard.press("2")
    screen.wait_for_selector("#source-panel .chosen")
    assert Stance.objects.get().label.name == "against"
    rating = Rating.objects.get()
    assert (rating.source.name, rating.label.value, rating.evidence_text) == (
        "Politico",
        2,
        "Politico",
    )
    screen.keyboard.press("Shift+Enter")
    screen.wait_for_selector("text=Nothing left to label")
    assert Assignment.objects.get().status == Assignment.Status.SUBMITTED


def test_it_keeps_two_annotators_apart(project, live_server, log_in, browser):
    make_document(project, text=TEXT, title="Lavrov in Bamako")
    for name in ("one", "two"):
        member(project, name, "annotator")
    pages = {}
    for name in ("one", "two"):
        page = browser.new_context().new_page()
        log_in(page, name)
        page.goto(f"{live_server.url}/p/{project.slug}/next/")
        page.wait_for_selector("#doc-text")
        pages[name] = page
    start = TEXT.index("Assimi Goita")
    pages["one"].evaluate(f"window.newsapp.selectCodePoints({start}, {start + 12})")
    pages["one"].keyboard.press("p")
    wait_for_spans(pages["one"], 1)
    pages["two"].reload()
    assert pages["two"].locator("#span-list .span-row").count() == 0
    assert "Assimi Goita" not in pages["two"].locator("#span-list").inner_text()
    assert Assignment.objects.filter(document__project=project).count() == 2


@pytest.mark.screenshots
def test_it_shows_the_annotation_screen_as_in_the_readme(
    project, live_server, log_in, page, screenshots
):
    seed = (
        Path(__file__).resolve().parents[2]
        / "annotate"
        / "fixtures"
        / "demo"
        / "000_60c56a25115bd218.txt"
    )
    from annotate.ingest.load import import_paths

    import_paths([seed], project=project, format="pagedump")
    StanceTarget.objects.create(
        project=project, name="French military presence in Africa"
    )
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    # Gold elsewhere in the project labelled two countries: drawn as suggestions here.
    elsewhere = make_document(project, text="Mali and Niger", title="Elsewhere")
    gold = Assignment.objects.create(
        document=elsewhere, annotator=member(project, "rev", "reviewer"), is_gold=True
    )
    gpe = Label.objects.get(project=project, kind="entity", name="GPE")
    for start, end in ((0, 4), (9, 14)):
        Span.objects.create(
            assignment=gold,
            start=start,
            end=end,
            text=elsewhere.text[start:end],
            label=gpe,
        )
    member(project, "ann", "annotator")
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/next/")
    page.wait_for_selector("#doc-text")
    text = page.evaluate("document.getElementById('doc-text').textContent")
    for count, (fragment, key) in enumerate(
        (
            ("Russian Foreign Minister Sergey Lavrov", "m"),
            ("Sergey Lavrov", "p"),
            ("Politico", "o"),
            ("Guinea", "c"),
        ),
        start=1,
    ):
        start = len(text[: text.index(fragment)])
        page.evaluate(
            f"window.newsapp.selectCodePoints({start}, {start + len(fragment)})"
        )
        page.keyboard.press(key)
        wait_for_spans(page, count)  # the span list is swapped in: the next may go
    page.click("#stance-panel .choice-row >> nth=0 >> text=against")
    page.wait_for_selector("#stance-panel .chosen")
    page.locator("#source-panel .choice-row", has_text="Politico").focus()
    page.keyboard.press("2")
    page.wait_for_selector("#source-panel .chosen")
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate("document.querySelector('.panels').scrollTop = 0")
    page.screenshot(path=str(screenshots / "annotate.png"))
    assert Label.objects.filter(spans__isnull=False).distinct().count() == 4
    assert page.locator("#doc-text mark.suggestion").count() >= 2


def test_it_links_a_span_to_an_entity_from_the_keyboard(screen, project):
    from annotate.models import Entity

    entity = Entity.objects.create(project=project, name="Sergei Lavrov")
    start = TEXT.index("Sergey Lavrov")
    screen.evaluate(f"window.newsapp.selectCodePoints({start}, {start + 13})")
    screen.keyboard.press("p")
    wait_for_spans(screen, 1)
    screen.locator("#span-list .span-row").focus()
    screen.keyboard.press(
        "Enter"
    )  # opens the link panel, focused on the best candidate
    expect(screen.locator("#link-panel")).to_contain_text("Sergei Lavrov")
    expect(screen.locator("#link-panel button").first).to_be_focused()
    screen.keyboard.press("1")
    expect(screen.locator("#span-list .span-row")).to_contain_text("→ Sergei Lavrov")
    entity.refresh_from_db()
    assert entity.aliases == ["Sergey Lavrov"]


def test_it_accepts_a_suggestion_with_one_key(project, live_server, log_in, page):
    # A reviewed gold version elsewhere in the project labelled "Assimi Goita".
    earlier = make_document(project, text="Assimi Goita spoke in Bamako.")
    gold = Assignment.objects.create(
        document=earlier, annotator=member(project, "rev", "reviewer"), is_gold=True
    )
    person = Label.objects.get(project=project, name="PERSON")
    Span.objects.create(
        assignment=gold, start=0, end=12, text="Assimi Goita", label=person
    )
    document = make_document(project, text=TEXT, title="Lavrov in Bamako")
    mine = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/a/{mine.pk}/")
    suggestion = page.locator("#doc-text mark.suggestion")
    expect(suggestion.locator(".tag")).to_have_text("PERSON")
    assert suggestion.evaluate(TEXT_BUT_TAGS) == "Assimi Goita"
    page.keyboard.press("y")
    wait_for_spans(page, 1)
    accepted = Span.objects.get(assignment=mine)
    assert (accepted.text, accepted.origin) == ("Assimi Goita", "suggested")
