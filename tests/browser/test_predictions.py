"""Models in the loop in headless Chromium: predictions drawn with their model and
confidence, accepted and dismissed by keyboard, a predicted stance confirmed; and a
manager pointing the project at a model server whose predictions annotators then see."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from annotate.models import (
    Prediction,
    PredictionOutcome,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document, member
from tests.mlbackend.protocol_server import ProtocolServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "🇲🇱 Sergey Lavrov arrived in Bamako, Politico reported."


def region(fragment: str, label: str, score: float) -> dict:
    start = TEXT.index(fragment)
    return {"start": start, "end": start + len(fragment), "label": label,
            "text": fragment, "score": score}  # fmt: skip


def test_predictions_are_drawn_with_confidence_and_taken_by_keyboard(
    project, live_server, log_in, page, tmp_path
):
    target = StanceTarget.objects.create(project=project, name="Russia in Africa")
    document = make_document(project, text=TEXT, title="Lavrov in Bamako")
    Prediction.objects.create(
        document=document,
        model_name="spacy-news",
        model_version="3",
        spans=[region("Sergey Lavrov", "PERSON", 0.87), region("Bamako", "GPE", 0.64)],
        stances=[{"target": target.name, "probabilities": {"against": 0.81}}],
    )
    member(project, "ann", "annotator")
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/next/")
    predicted = page.locator("#doc-text mark.suggestion.predicted")
    expect(predicted).to_have_count(2)
    expect(predicted.first.locator(".tag")).to_have_text("PERSON 0.87")
    assert predicted.first.get_attribute("title") == "spacy-news: PERSON 0.87"
    expect(page.locator(".predicted-stance")).to_contain_text("against 0.81")
    page.screenshot(path=str(tmp_path / "predictions.png"), full_page=True)

    page.keyboard.press("y")  # accept the first suggestion: Sergey Lavrov
    expect(page.locator("#span-list .span-row")).to_have_count(1)
    expect(predicted).to_have_count(1)
    page.keyboard.press("x")  # dismiss the next: Bamako
    expect(predicted).to_have_count(0)
    assert list(Span.objects.values_list("text", "origin")) == [
        ("Sergey Lavrov", "suggested")
    ]
    assert not Stance.objects.exists()  # shown, never saved unconfirmed
    confirm = page.locator(".predicted-stance button")
    confirm.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".predicted-stance")).to_have_count(0)
    expect(page.locator("#stance-panel .choice.chosen")).to_have_text("against")
    assert Stance.objects.get().label.name == "against"
    # The fate is noted once the change is stored, just before its answer is sent.
    deadline = time.monotonic() + 10
    while PredictionOutcome.objects.count() < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    fates = dict(PredictionOutcome.objects.values_list("key", "fate"))
    assert sorted(fates.values()) == ["accepted", "dismissed"]


def test_a_project_with_a_model_server_gets_its_predictions(
    project, live_server, log_in, page, settings
):
    settings.MODEL_SERVER_TIMEOUT = 5
    make_document(project, text=TEXT, title="Lavrov in Bamako")
    member(project, "boss", "manager")
    member(project, "ann", "annotator")
    with ProtocolServer() as server:
        log_in(page, "boss")
        page.goto(f"{live_server.url}/p/{project.slug}/manage/")
        page.click("text=Models")
        page.fill("#id_model_server_url", server.url)
        page.click("button:has-text('Save')")
        expect(page.locator("#fetch-predictions")).to_be_visible()
        page.click("#fetch-predictions")
        expect(page.locator("#model-log")).to_contain_text(
            "Stored proto-ner-v1's predictions for 1 documents (2 spans)"
        )
    log_in(page, "ann")
    page.goto(f"{live_server.url}/p/{project.slug}/next/")
    tags = page.locator("#doc-text mark.suggestion.predicted > .tag")
    expect(tags).to_have_text(["PERSON 0.90", "GPE 0.70"])
