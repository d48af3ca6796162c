"""Train now in headless Chromium: a manager presses it, the task worker trains, and
the statistics page shows the finished run with its held-out F1."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from annotate.models import ModelRun
from tests.assist.world import label_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_train_now_runs_in_the_worker_and_the_page_shows_the_run(
    project, manager, live_server, log_in, page, settings, tmp_path, screenshots
):
    settings.VAR_DIR = tmp_path
    settings.ASSIST_EPOCHS = 2
    settings.TASKS = {  # queued in the database, run by the worker below
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    label_project(project, labelled=25, unlabelled=3)
    log_in(page, manager.username)
    page.goto(f"{live_server.url}/p/{project.slug}/stats/")
    page.click("#recommenders button:has-text('Train now')")
    page.wait_for_selector("#recommenders .flash.notice")
    assert "Training queued" in page.inner_text("#recommenders")
    assert page.locator("#model-runs tr.run-queued").count() == 2
    assert page.locator("#recommenders button:has-text('Train now')").is_disabled()

    call_command("db_worker", batch=True, verbosity=0)

    assert set(ModelRun.objects.values_list("status", flat=True)) == {"done"}
    # The section polls while runs are queued: it shows them done without a reload.
    page.wait_for_selector("#model-runs tr.run-done >> nth=1", timeout=15000)
    text = page.inner_text("#model-runs")
    entity_run = ModelRun.objects.get(kind="entities")
    assert f"{entity_run.headline_f1:.3f}" in text
    assert page.locator("#recommenders svg.chart polyline").count() == 2
    assert page.locator("#recommenders a:has-text('model (.zip)')").count() == 2
    page.screenshot(path=str(screenshots / "recommenders.png"), full_page=True)
