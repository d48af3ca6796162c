"""Train now and the recommenders' section of the statistics page: who may press it,
what the page shows of each run, the model's download."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from annotate.models import ModelRun
from tests.assist.world import label_project


@pytest.fixture(autouse=True)
def quick_training(settings, tmp_path):
    settings.ASSIST_EPOCHS = 2
    settings.VAR_DIR = tmp_path


def train_url(project) -> str:
    return reverse("annotate:train-now", args=[project.slug])


def stats_url(project) -> str:
    return reverse("annotate:project-stats", args=[project.slug])


def test_a_manager_trains_and_the_page_shows_the_runs(
    project, manager_client, django_capture_on_commit_callbacks
):
    label_project(project, labelled=25, unlabelled=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(train_url(project), follow=True)
    assert "Training queued (entities and stance)" in response.text
    runs = list(ModelRun.objects.order_by("pk"))
    assert [run.status for run in runs] == ["done", "done"]
    page = manager_client.get(stats_url(project)).text
    assert 'id="model-runs"' in page
    for run in runs:
        assert f"<td>#{run.pk}</td>" in page
        assert f"{run.headline_f1:.3f}" in page
    assert "Held-out F1 against training documents" in page  # the chart
    download = manager_client.get(
        reverse("annotate:model-download", args=[project.slug, runs[0].pk])
    )
    assert download.status_code == 200
    names = zipfile.ZipFile(BytesIO(b"".join(download.streaming_content))).namelist()
    assert "meta.json" in names or "stance.pkl" in names


def test_train_now_while_a_run_is_queued_queues_nothing_more(
    project, manager_client, django_capture_on_commit_callbacks
):
    label_project(project, labelled=5, unlabelled=0)
    ModelRun.objects.create(project=project, kind="entities")
    ModelRun.objects.create(project=project, kind="stance")
    response = manager_client.post(train_url(project), headers={"HX-Request": "true"})
    assert "already queued or running" in response.text
    assert 'hx-trigger="every 3s"' in response.text  # it polls while a run is queued
    assert ModelRun.objects.count() == 2


def test_only_managers_train_or_download(project, client, reviewer, annotator):
    run = ModelRun.objects.create(project=project, kind="entities", status="done")
    download = reverse("annotate:model-download", args=[project.slug, run.pk])
    client.force_login(reviewer)
    assert client.post(train_url(project)).status_code == 403
    assert client.get(download).status_code == 403
    page = client.get(stats_url(project)).text
    assert "Recommenders" in page and "Train now</button>" not in page
    client.force_login(annotator)
    assert client.get(stats_url(project)).status_code == 403
    assert not ModelRun.objects.exclude(pk=run.pk).exists()


def test_a_failed_run_shows_its_reason(project, manager_client):
    ModelRun.objects.create(
        project=project,
        kind="entities",
        status="failed",
        error="nothing to train on: the project has no gold or accepted documents",
    )
    page = manager_client.get(stats_url(project)).text
    assert 'failed: <span class="error">nothing to train on' in page
    download = manager_client.get(
        reverse(
            "annotate:model-download",
            args=[project.slug, ModelRun.objects.get().pk],
        )
    )
    assert download.status_code == 404
