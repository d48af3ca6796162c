"""The export page in headless Chromium: prepare a split export, download a part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.screenshots
def test_it_prepares_a_split_export_and_downloads_a_part(
    annotated, live_server, log_in, page, settings, tmp_path, screenshots
):
    settings.VAR_DIR = tmp_path
    member(annotated, "rev", "reviewer")
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, "rev")
    page.goto(f"{live_server.url}/p/{annotated.slug}/")
    page.click("text=Export")
    page.select_option("#id_format", "bio")
    page.select_option("#id_selection", "all")
    page.fill("#id_split", "50/50")
    page.select_option("#id_split_by", "document")
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.click("button:has-text('Prepare file')")
    page.wait_for_selector(".downloads a")
    assert "done" in page.locator("#run-status .status").inner_text()
    assert "Assimi" not in page.content()  # no document text on the run page
    page.screenshot(path=str(screenshots / "export.png"), full_page=True)
    with page.expect_download() as download:
        page.click(".downloads a >> nth=0")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines and all(
        set(json.loads(line)) >= {"tokens", "ner_tags", "annotator"} for line in lines
    )
    assert download.value.suggested_filename == f"{annotated.slug}-bio-train.jsonl"
