"""Evidence, find, undo messages and stacked spans on the annotation screen, in
headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Rating, Source, Span, Stance, StanceTarget
from tests.conftest import make_document, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "🇲🇱 Bamako 𝔸: Sergey Lavrov praised the 🤝 partnership with Mali, "
    "Politico reported. Lavrov met Assimi Goita in Bamako on Monday."
)


@pytest.fixture
def assignment(project):
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    document = make_document(
        project,
        text=TEXT,
        title="Lavrov in Bamako",
        publisher=Source.objects.create(name="Mali Daily"),
    )
    return Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )


@pytest.fixture
def screen(assignment, live_server, log_in, page):
    log_in(page, "ann")
    page.goto(
        f"{live_server.url}/p/{assignment.document.project.slug}/a/{assignment.pk}/"
    )
    page.wait_for_selector("#doc-text")
    return page


def select(page, fragment: str) -> None:
    start = TEXT.index(fragment)
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + len(fragment)})")


def source_row(page, name: str):
    name_cell = page.locator(".row-name", has_text=name)
    return page.locator("#source-panel .choice-row", has=name_cell)


def test_a_selection_is_evidence_for_one_stance_only(screen):
    evidence = "Sergey Lavrov praised the 🤝 partnership"
    select(screen, evidence)
    screen.click("#stance-panel >> text=favor")
    expect(screen.locator("#stance-panel .chosen")).to_have_count(1)
    stance = Stance.objects.get()
    assert stance.evidence_text == evidence
    start = TEXT.index(evidence)
    assert (stance.evidence_start, stance.evidence_end) == (
        start,
        start + len(evidence),
    )
    source_row(screen, "Mali Daily").focus()
    screen.keyboard.press("3")
    expect(screen.locator("#source-panel .chosen")).to_have_count(1)
    source_row(screen, "Politico").focus()
    screen.keyboard.press("2")
    expect(screen.locator("#source-panel .chosen")).to_have_count(2)
    publisher = Rating.objects.get(role="publisher")
    cited = Rating.objects.get(role="cited")
    assert (publisher.evidence_start, publisher.evidence_text) == (None, "")
    assert cited.evidence_text == "Politico"


def test_a_cited_source_keeps_its_mention_unless_its_box_is_ticked(screen):
    select(screen, "Lavrov met Assimi Goita")
    politico, publisher = (
        source_row(screen, "Politico"),
        source_row(screen, "Mali Daily"),
    )
    # The rows say what the selection would be evidence for.
    expect(screen.locator("#source-panel .selection-note")).to_contain_text(
        "Lavrov met Assimi Goita"
    )
    expect(politico.locator(".use-selection-box")).not_to_be_checked()
    expect(publisher.locator(".use-selection-box")).to_be_checked()
    expect(politico.locator(".evidence-line")).to_contain_text("its mention")
    politico.focus()
    screen.keyboard.press("2")
    expect(politico.locator(".chosen")).to_have_count(1)
    assert Rating.objects.get().evidence_text == "Politico"
    # Not used, so still shown: the next change ticked for it takes it, once.
    publisher.focus()
    screen.keyboard.press("4")
    expect(publisher.locator(".chosen")).to_have_count(1)
    assert (
        Rating.objects.get(role="publisher").evidence_text == "Lavrov met Assimi Goita"
    )
    assert screen.evaluate("window.getSelection().isCollapsed")
    expect(publisher.locator(".evidence-line")).to_contain_text(
        "Lavrov met Assimi Goita"
    )


def test_a_selection_over_the_mention_replaces_it_and_evidence_can_be_cleared(screen):
    sentence = "Sergey Lavrov praised the 🤝 partnership with Mali, Politico reported."
    select(screen, sentence)
    politico = source_row(screen, "Politico")
    expect(politico.locator(".use-selection-box")).to_be_checked()
    politico.locator("button.choice").nth(1).click()
    expect(politico.locator(".chosen")).to_have_count(1)
    rating = Rating.objects.get()
    assert rating.evidence_text == sentence
    expect(politico.locator(".evidence-line")).to_contain_text("🤝 partnership")
    politico.locator(".evidence-line button").click()
    expect(politico.locator(".evidence-line")).to_have_count(0)
    rating.refresh_from_db()
    assert (rating.evidence_start, rating.evidence_text, rating.label.value) == (
        None,
        "",
        2,
    )


def spans():
    return sorted(Span.objects.values_list("text", "label__name"))


def drag_across(page, fragment: str) -> None:
    """Select `fragment` with a real mouse drag, from where it is drawn."""
    start = TEXT.index(fragment)
    box = page.evaluate(
        f"""() => {{
            window.newsapp.selectCodePoints({start}, {start + len(fragment)});
            const rects = window.getSelection().getRangeAt(0).getClientRects();
            const first = rects[0], last = rects[rects.length - 1];
            window.getSelection().removeAllRanges();
            return {{left: first.left, top: first.top + first.height / 2,
                     right: last.right, bottom: last.top + last.height / 2}};
        }}"""
    )
    page.mouse.move(box["left"] + 1, box["top"])
    page.mouse.down()
    page.mouse.move(box["right"] - 1, box["bottom"], steps=8)
    page.mouse.up()


def test_nested_spans_show_both_label_names_and_offsets_skip_the_tags(screen):
    select(screen, "Sergey Lavrov praised the 🤝 partnership with Mali")
    screen.keyboard.press("e")
    expect(screen.locator("#span-list .span-row")).to_have_count(1)
    select(screen, "Sergey Lavrov")
    screen.keyboard.press("p")
    expect(screen.locator("#span-list .span-row")).to_have_count(2)
    outer = screen.locator("#doc-text mark.span.d0")
    inner = screen.locator("#doc-text mark.span.d1")
    expect(outer.locator(".tag").first).to_have_text("EVENT")
    expect(inner.locator(".tag")).to_have_text("PERSON")
    # Each line below the text at its own depth: the inner one lower down.
    assert inner.evaluate(
        "m => getComputedStyle(m).paddingBottom"
    ) != outer.first.evaluate("m => getComputedStyle(m).paddingBottom")
    # A drag from inside the nested spans (across the PERSON tag's line) to past the
    # emoji: the tags are not text, so the offsets are the text's.
    drag_across(screen, "Lavrov praised the 🤝")
    screen.keyboard.press("m")
    expect(screen.locator("#span-list .span-row")).to_have_count(3)
    assert ("Lavrov praised the 🤝", "MISC") in spans()
    span = Span.objects.get(label__name="MISC")
    start = TEXT.index("Lavrov praised the 🤝")
    assert (span.start, span.end) == (start, start + len("Lavrov praised the 🤝"))
    # A selection that starts inside a tag (made by script: the mouse cannot) starts
    # where the tag's span does.
    picked = screen.evaluate(
        """() => {
            const tag = document.querySelector("#doc-text mark.d1 .tag");
            const after = tag.nextSibling;  // the text "Sergey Lavrov"
            const range = document.createRange();
            range.setStart(tag.firstChild, 2);
            range.setEnd(after, 6);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            return window.newsapp.selectedRange();
        }"""
    )
    start = TEXT.index("Sergey Lavrov")
    assert picked == {"start": start, "end": start + 6, "text": "Sergey"}
    # A drag starting before a tagged span takes in the span's text, not its tag.
    drag_across(screen, "𝔸: Sergey")
    screen.keyboard.press("c")
    expect(screen.locator("#span-list .span-row")).to_have_count(4)
    assert ("𝔸: Sergey", "GPE") in spans()


def test_undo_says_what_it_undid(screen):
    select(screen, "Bamako")
    screen.keyboard.press("c")
    expect(screen.locator("#span-list .span-row")).to_have_count(1)
    screen.click("#stance-panel >> text=favor")
    expect(screen.locator("#stance-panel .chosen")).to_have_count(1)
    screen.locator("#doc-text").click()
    screen.keyboard.press("u")
    expect(screen.get_by_role("status")).to_have_text(
        "Undone: stance on Russian influence in Africa (favor)"
    )
    screen.keyboard.press("u")
    expect(screen.get_by_role("status")).to_have_text("Undone: span “Bamako” GPE")
    expect(screen.locator("#span-list .span-row")).to_have_count(0)


LONG = "\n\n".join(
    [TEXT]
    + [
        f"Paragraph {n}: the talks went on about grain, ports and debts."
        for n in range(150)
    ]
    + ["At last the delegation reached Timbuktu 🐪 on Friday.", "The end."]
)


def in_view(page, *, box: str | None = None) -> bool:
    """Whether the selection is drawn inside the window (and inside `box`)."""
    return page.evaluate(
        """(box) => {
            const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
            const inWindow = rect.top >= 0 && rect.bottom <= window.innerHeight;
            if (!box) return inWindow;
            const outer = document.querySelector(box).getBoundingClientRect();
            return inWindow && rect.top >= outer.top && rect.bottom <= outer.bottom;
        }""",
        box,
    )


@pytest.fixture
def long_screen(project, live_server, log_in, page):
    document = make_document(project, text=LONG, title="A long day")
    mine = Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )
    page.set_viewport_size({"width": 1400, "height": 700})
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/a/{mine.pk}/")
    page.wait_for_selector("#doc-text")
    return page


def test_find_scrolls_a_match_far_below_the_fold_into_view(long_screen):
    page = long_screen
    page.keyboard.press("/")
    page.keyboard.type("timbuktu")
    page.keyboard.press("Enter")
    page.wait_for_function("!window.getSelection().isCollapsed")
    assert page.evaluate("window.getSelection().toString()") == "Timbuktu"
    assert in_view(page)
    # Enter again: the next match, here back to the first "Paragraph 1".
    page.keyboard.press("/")
    page.keyboard.type("Paragraph 14")
    page.keyboard.press("Enter")
    page.wait_for_function("window.getSelection().toString() === 'Paragraph 14'")
    first = page.evaluate("window.newsapp.selectedRange().start")
    page.keyboard.press("Enter")
    page.wait_for_function(f"window.newsapp.selectedRange().start !== {first}")
    assert in_view(page)
    page.keyboard.press("c")  # the match is the selection: a label key labels it
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    assert Span.objects.get().text == "Paragraph 14"


def test_find_scrolls_inside_a_scrolling_text_box(long_screen):
    page = long_screen
    # The text in a box of its own that scrolls (as a narrow layout may draw it).
    page.evaluate(
        """() => { const box = document.getElementById('doc-text');
                   box.style.maxHeight = '300px'; box.style.overflowY = 'auto'; }"""
    )
    page.keyboard.press("/")
    page.keyboard.type("Timbuktu 🐪")
    page.keyboard.press("Enter")
    page.wait_for_function("!window.getSelection().isCollapsed")
    assert in_view(page, box="#doc-text")
    assert page.evaluate("window.newsapp.selectedRange().text") == "Timbuktu 🐪"


def test_ticking_a_cited_sources_box_makes_the_selection_its_evidence(screen):
    select(screen, "Assimi Goita")
    politico = source_row(screen, "Politico")
    politico.locator(".use-selection").click()  # on its words, not the box itself
    expect(politico.locator(".use-selection-box")).to_be_checked()
    # Ticking the box leaves the selection where it was.
    assert screen.evaluate("window.newsapp.selectedRange().text") == "Assimi Goita"
    politico.locator("button.choice").first.click()
    expect(politico.locator(".chosen")).to_have_count(1)
    assert Rating.objects.get().evidence_text == "Assimi Goita"
