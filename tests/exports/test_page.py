"""The export page: a background export kept for download, a streamed download, and
forms that refuse what cannot be exported."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotate.models import ExportRun
from tests.annotated_world import LAVROV

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture(autouse=True)
def kept_under_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def test_a_background_export_is_kept_for_download(
    reviewer_client, annotated, django_capture_on_commit_callbacks
):
    url = reverse("annotate:export", args=[annotated.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            url,
            {"format": "spans", "selection": "all", "split_by": "story", "seed": 0},
        )
    run = ExportRun.objects.get()
    assert response["Location"] == reverse(
        "annotate:export-run", args=[annotated.slug, run.pk]
    )
    run.refresh_from_db()
    assert (run.status, run.lines, run.options["expected_lines"]) == ("done", 4, 4)
    page = reviewer_client.get(response["Location"]).content.decode()
    assert "Download the file" in page
    assert "1 warning" in page and "Bamak" in page  # the span inside a word
    download = reviewer_client.get(
        reverse("annotate:export-download", args=[annotated.slug, run.pk])
    )
    assert download["Content-Disposition"].startswith("attachment")
    lines = [
        json.loads(line)
        for line in b"".join(download.streaming_content).split(b"\n")
        if line
    ]
    assert [line["annotator"] for line in lines] == ["a1", "a2", "a3", "a1"]


def test_a_split_export_offers_one_download_per_part(
    reviewer_client, annotated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            reverse("annotate:export", args=[annotated.slug]),
            {
                "format": "documents",
                "split": "50/50",
                "split_by": "document",
                "seed": 3,
            },
        )
    run = ExportRun.objects.get()
    page = reviewer_client.get(
        reverse("annotate:export-run", args=[annotated.slug, run.pk])
    ).content.decode()
    assert "Download train" in page and "Download test" in page
    url = reverse("annotate:export-download", args=[annotated.slug, run.pk])
    texts = []
    for part in ("train", "test"):
        body = b"".join(reviewer_client.get(url, {"part": part}).streaming_content)
        texts += [json.loads(line)["text"] for line in body.splitlines()]
    assert sorted(texts) == sorted([LAVROV, annotated.documents.last().text])
    assert reviewer_client.get(url, {"part": "../../etc"}).status_code == 404


def test_the_stream_sends_lines_and_records_the_run(reviewer_client, annotated):
    response = reviewer_client.post(
        reverse("annotate:export-stream", args=[annotated.slug]),
        {"format": "stance", "selection": "majority", "split_by": "story", "seed": 0},
    )
    assert response.streaming
    lines = [
        json.loads(line) for line in b"".join(response.streaming_content).splitlines()
    ]
    assert [(line["target"], line["label"]) for line in lines] == [
        ("Russia", "against")
    ]
    run = ExportRun.objects.get()
    assert (run.status, run.lines, run.options["streamed"]) == ("done", 1, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"format": "spans", "split": "70/20", "split_by": "story", "seed": 0},
            "adds up to 90",
        ),
        (
            {"format": "spans", "selection": "gold", "split_by": "story", "seed": 0},
            "no gold",
        ),
        ({"format": "yaml", "split_by": "story", "seed": 0}, "Select a valid choice"),
    ],
)
def test_the_form_names_what_cannot_be_exported(
    reviewer_client, annotated, data, message
):
    response = reviewer_client.post(
        reverse("annotate:export", args=[annotated.slug]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExportRun.objects.exists()


def test_the_stream_refuses_bad_options_on_the_export_page(reviewer_client, annotated):
    response = reviewer_client.post(
        reverse("annotate:export-stream", args=[annotated.slug]),
        {"format": "spans", "selection": "gold", "split_by": "story", "seed": 0},
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Export training data</h1>" in page
    assert '<p class="flash error" role="alert">Nothing was exported:' in page
    assert "no gold" in page
    assert not ExportRun.objects.exists()


def test_download_now_is_posted_so_no_token_is_in_an_address(
    reviewer_client, annotated
):
    page = reviewer_client.get(
        reverse("annotate:export", args=[annotated.slug])
    ).content.decode()
    stream = reverse("annotate:export-stream", args=[annotated.slug])
    assert f'formaction="{stream}"' in page
    assert "formmethod" not in page
    assert '<form method="post"' in page


def test_the_stream_is_not_started_by_a_get(reviewer_client, annotated):
    response = reviewer_client.get(
        reverse("annotate:export-stream", args=[annotated.slug]),
        {"format": "spans", "split_by": "story", "seed": 0, "csrfmiddlewaretoken": "x"},
    )
    assert response.status_code == 405
    assert "<main>" in response.content.decode()
    assert not ExportRun.objects.exists()


def test_the_stream_needs_the_csrf_token(annotated, reviewer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(
        reverse("annotate:export-stream", args=[annotated.slug]),
        {"format": "spans", "split_by": "story", "seed": 0},
    )
    assert response.status_code == 403
    assert "The form had expired" in response.content.decode()
    assert not ExportRun.objects.exists()


def test_annotators_cannot_export(client, annotated):
    client.force_login(annotated.memberships.get(user__username="a1").user)
    assert (
        client.get(reverse("annotate:export", args=[annotated.slug])).status_code == 403
    )
