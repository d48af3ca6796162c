"""The review flow end to end in Chromium: two annotators label a seed article and
disagree, a reviewer adjudicates it, and the spans export gives the gold version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.ingest.load import import_paths
from annotate.models import Assignment, Document
from tests.conftest import SEEDS, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label_seed(browser, live_server, log_in, username, labels) -> None:
    """One annotator's session: next document, label by key, submit."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, username)
    page.goto(f"{live_server.url}/p/lavrov/next/")
    page.wait_for_selector("#doc-text")
    text = page.evaluate("document.getElementById('doc-text').textContent")
    for fragment, key in labels:
        start = text.index(fragment)
        page.evaluate(
            f"window.newsapp.selectCodePoints({start}, {start + len(fragment)})"
        )
        page.keyboard.press(key)
        expect(page.locator("#span-list .span-row", has_text=fragment)).to_have_count(1)
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector("text=Nothing left to label")
    context.close()


def test_two_annotators_disagree_a_reviewer_adjudicates_and_gold_is_exported(
    project, live_server, log_in, browser, page, tmp_path
):
    project.overlap = 2
    project.save()
    seed = sorted(SEEDS.glob("000_*.txt"))[0]
    import_paths([seed], project=project, format="pagedump")
    for name in ("ann1", "ann2", "rev"):
        member(project, name, "reviewer" if name == "rev" else "annotator")
    label_seed(
        browser,
        live_server,
        log_in,
        "ann1",
        [("Sergey Lavrov", "p"), ("Politico", "o"), ("Guinea", "c")],
    )
    label_seed(
        browser,
        live_server,
        log_in,
        "ann2",
        [("Sergey Lavrov", "p"), ("Politico", "m"), ("Guinea", "c")],
    )

    log_in(page, "rev")
    page.goto(f"{live_server.url}/p/{project.slug}/review/")
    page.click("#queue-table a")
    page.wait_for_selector("#adjudication")
    page.wait_for_load_state("load")
    # Politico is an ORG for ann1 and MISC for ann2; both agree on the other two.
    expect(page.locator(".item-row")).to_have_count(4)
    page.keyboard.press("Shift+A")  # what both agree on
    expect(page.locator(".item-row.in-gold")).to_have_count(2)
    page.locator(".item-row.disputed", has_text="ORG").focus()
    page.keyboard.press("1")  # ann1's ORG
    expect(page.locator(".item-row.in-gold")).to_have_count(3)

    document = Document.objects.get(project=project)
    gold = Assignment.objects.get(document=document, is_gold=True)
    assert gold.spans.count() == 3

    page.goto(f"{live_server.url}/p/{project.slug}/export/")
    page.select_option("#id_format", "spans")
    with page.expect_download() as download:
        page.click("button:has-text('Download now')")
    (line,) = [
        json.loads(text)
        for text in Path(download.value.path()).read_text().splitlines()
    ]
    assert sorted((s["text"], s["label"]) for s in line["spans"]) == [
        ("Guinea", "GPE"),
        ("Politico", "ORG"),
        ("Sergey Lavrov", "PERSON"),
    ]
    assert line["text"] == document.text
