from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.models import Document, ImportRun

pytestmark = pytest.mark.django_db


def upload(name: str, lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, "".join(line + "\n" for line in lines).encode(), "application/json"
    )


def test_it_imports_an_uploaded_file_in_the_background(
    manager_client, project, django_capture_on_commit_callbacks
):
    url = reverse("annotate:import", args=[project.slug])
    lines = [
        json.dumps({"text": "Lavrov landed in Bamako."}),
        "{broken",
        json.dumps({"text": "Goita met Lavrov."}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            url, {"file": upload("batch.jsonl", lines), "format": "auto"}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "annotate:import-run", args=[project.slug, run.pk]
    )
    assert Document.objects.filter(project=project).count() == 2
    run.refresh_from_db()
    assert (run.status, run.imported, run.rejected) == ("done", 2, 1)
    assert run.rejections[0]["origin"] == "batch.jsonl:2"
    page = manager_client.get(response["Location"])
    assert b"batch.jsonl:2" in page.content
    assert b"hx-trigger" not in page.content  # finished: the page stops polling


def test_it_polls_a_running_import_with_a_fragment(manager_client, project):
    run = ImportRun.objects.create(
        project=project, format="auto", files=["x.jsonl"], status="running", read=40
    )
    response = manager_client.get(
        reverse("annotate:import-run", args=[project.slug, run.pk]),
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="run-status"' in body
    assert "every 1s" in body
    assert "40 read" in body


def test_it_refuses_an_upload_over_the_size_limit(manager_client, project, settings):
    settings.NEWSAPP_UPLOAD_MAX_BYTES = 10
    response = manager_client.post(
        reverse("annotate:import", args=[project.slug]),
        {"file": upload("big.jsonl", ['{"text": "x"}'] * 5), "format": "auto"},
    )
    assert response.status_code == 200
    assert b"uploads are limited to" in response.content
    assert not ImportRun.objects.exists()


def test_it_keeps_annotators_away_from_imports(annotator_client, project):
    assert (
        annotator_client.get(
            reverse("annotate:import", args=[project.slug])
        ).status_code
        == 403
    )


def test_it_hides_imports_from_outsiders(outsider_client, project):
    assert (
        outsider_client.get(reverse("annotate:import", args=[project.slug])).status_code
        == 404
    )


def test_it_sends_anonymous_users_to_login(client, project):
    response = client.get(reverse("annotate:import", args=[project.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
