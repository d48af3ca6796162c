"""A long text drawn a part at a time, in headless Chromium: labelling on part 2 sends
offsets in the whole text, and only the changed paragraph is redrawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Span
from tests.conftest import make_document, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An emoji flag in part 1: two code points, four UTF-16 units, so an offset counted in
# the browser's units or from the part's start would be wrong on part 2.
TEXT = "\n\n".join(
    f"Paragraph {n}: {'🇲🇱 ' if n == 1 else ''}officials met Aminata in Bamako at noon."
    for n in range(1, 21)
)


@pytest.fixture
def assignment(project, settings):
    settings.LARGE_DOCUMENT_CHARS = 500
    settings.PART_CHARS = 200
    document = make_document(project, text=TEXT, title="A long one")
    return Assignment.objects.create(
        document=document, annotator=member(project, "ann", "annotator")
    )


def select_in_paragraph(page, paragraph: int, word: str) -> None:
    """Select `word` in a paragraph with the DOM's own range, as a mouse would."""
    page.evaluate(
        """([paragraph, word]) => {
            const box = document.getElementById("doc-text");
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(`Paragraph ${paragraph}:`);
                if (at < 0) continue;
                const start = node.data.indexOf(word, at);
                const range = document.createRange();
                range.setStart(node, start);
                range.setEnd(node, start + word.length);
                getSelection().removeAllRanges();
                getSelection().addRange(range);
                return;
            }
        }""",
        [paragraph, word],
    )


def test_it_labels_a_word_on_part_two_of_a_long_text(
    live_server, log_in, page, assignment
):
    log_in(page, "ann")
    page.goto(
        f"{live_server.url}/p/{assignment.document.project.slug}/a/{assignment.pk}/"
    )
    expect(page.locator(".pager-where").first).to_contain_text("Part 1 of 7")
    page.wait_for_function("() => window.newsapp")  # the screen's script answers keys
    page.keyboard.press("]")  # the next part
    expect(page.locator(".pager-where").first).to_contain_text("Part 2 of 7")
    expect(page.locator("#doc-text")).to_contain_text("Paragraph 5:")
    expect(page.locator("#doc-text")).not_to_contain_text("Paragraph 1:")
    page.wait_for_function(
        "() => window.newsapp"
    )  # the screen's script, run on this page

    select_in_paragraph(page, 5, "Bamako")
    page.keyboard.press("c")  # GPE
    mark = page.locator("#doc-text mark.span")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("Bamako")
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    start = TEXT.index("Bamako", TEXT.index("Paragraph 5:"))
    span = Span.objects.get()
    assert (span.start, span.end, span.text) == (start, start + 6, "Bamako")
    # Still part 2, its other paragraphs as they were.
    expect(page.locator("#doc-text")).to_contain_text("Paragraph 4:")
    expect(page.locator(".pager-where").first).to_contain_text("Part 2 of 7")

    # A second label in another paragraph of the part: the first mark stays.
    select_in_paragraph(page, 6, "Aminata")
    page.keyboard.press("p")  # PERSON
    expect(page.locator("#doc-text mark.span")).to_have_count(2)
    second = TEXT.index("Aminata", TEXT.index("Paragraph 6:"))
    assert Span.objects.filter(start=second, text="Aminata").exists()
