"""Predictions stored apart from people's work; exports streamed or run as a task;
import runs."""

from __future__ import annotations

import json

import pytest

from annotate.models import Assignment, ExportRun, Label, Prediction, Span
from tests.api.conftest import ApiClient, base, token_for
from tests.conftest import make_document

TEXT = "Sergey Lavrov arrived in Bamako on Monday."


@pytest.fixture
def document(project):
    return make_document(project, text=TEXT)


def prediction(**overrides):
    body = {
        "model_name": "ner",
        "model_version": "1",
        "spans": [{"start": 0, "end": 13, "label": "person", "score": 0.9}],
        "stances": [
            {
                "target": "Russia in Africa",
                "probabilities": {"favor": 0.7, "against": 0.3},
            }
        ],
    }
    return body | overrides


def test_it_stores_a_models_predictions_per_version(project, manager, document, target):
    api = ApiClient(token_for(manager))
    url = base(project) + f"/documents/{document.pk}/predictions/"
    stored = api.put(url, prediction())
    assert stored.status_code == 200, stored.content
    assert stored.json()["spans"] == [
        {
            "start": 0,
            "end": 13,
            "label": "PERSON",
            "text": "Sergey Lavrov",
            "score": 0.9,
        }
    ]
    api.put(url, prediction(spans=[]))  # the same version again: replaced
    api.put(url, prediction(model_version="2"))
    assert Prediction.objects.filter(document=document).count() == 2
    assert Prediction.objects.get(model_version="1").spans == []
    assert not Assignment.objects.exists()  # never people's work
    listed = ApiClient(token_for(manager)).get(url).json()
    assert [p["model_version"] for p in listed] == ["2", "1"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"spans": [{"start": 0, "end": 99, "label": "PERSON", "score": 0.5}]},
            "spans.0",
        ),
        (
            {"spans": [{"start": 0, "end": 6, "label": "favor", "score": 0.5}]},
            "spans.0.label",
        ),
        (
            {
                "spans": [
                    {
                        "start": 0,
                        "end": 6,
                        "label": "PERSON",
                        "score": 0.5,
                        "text": "Sergei",
                    }
                ]
            },
            "spans.0",
        ),
        (
            {"stances": [{"target": "Mars", "probabilities": {"favor": 1}}]},
            "stances.0.target",
        ),
        (
            {
                "stances": [
                    {"target": "Russia in Africa", "probabilities": {"PERSON": 1}}
                ]
            },
            "stances.0.probabilities",
        ),
    ],
)
def test_it_refuses_predictions_that_do_not_fit(
    project, manager, document, target, change, field
):
    url = base(project) + f"/documents/{document.pk}/predictions/"
    response = ApiClient(token_for(manager)).put(url, prediction(**change))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert not Prediction.objects.exists()


def test_scores_must_be_probabilities(project, manager, document, target):
    url = base(project) + f"/documents/{document.pk}/predictions/"
    bad = prediction(spans=[{"start": 0, "end": 6, "label": "PERSON", "score": 7}])
    assert ApiClient(token_for(manager)).put(url, bad).status_code == 422


def test_only_managers_store_predictions(project, annotator, document, target):
    url = base(project) + f"/documents/{document.pk}/predictions/"
    assert ApiClient(token_for(annotator)).put(url, prediction()).status_code == 403
    assert ApiClient(token_for(annotator)).get(url).status_code == 200


@pytest.fixture
def gold(project, document, annotator, reviewer):
    version = Assignment.objects.create(
        document=document, annotator=annotator, status="submitted"
    )
    person = Label.objects.get(project=project, kind="entity", name="PERSON")
    Span.objects.create(
        assignment=version, start=0, end=13, label=person, text=TEXT[:13]
    )
    gold = Assignment.objects.create(
        document=document, annotator=reviewer, is_gold=True, status="submitted"
    )
    Span.objects.create(assignment=gold, start=0, end=13, label=person, text=TEXT[:13])
    return gold


def test_it_streams_any_shape_of_the_export(project, reviewer, gold):
    api = ApiClient(token_for(reviewer))
    response = api.get(
        base(project) + "/exports/stream/", format="spans", selection="gold"
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/jsonl"
    chunks = list(response.streaming_content)
    assert chunks[0].count(b"\n") == 1  # the first line leaves on its own, at once
    lines = [json.loads(line) for line in b"".join(chunks).splitlines()]
    assert lines[0]["spans"] == [
        {
            "start": 0,
            "end": 13,
            "label": "PERSON",
            "text": "Sergey Lavrov",
            "entity": None,
        }
    ]
    run = ExportRun.objects.get()
    assert run.status == "done" and run.lines == 1 and run.options["streamed"]


def test_a_refused_export_is_a_clear_4xx(project, reviewer, document):
    api = ApiClient(token_for(reviewer))
    nothing = api.get(
        base(project) + "/exports/stream/", format="spans", selection="gold"
    )
    assert nothing.status_code == 409 and "no gold" in nothing.json()["message"]
    unknown = api.get(base(project) + "/exports/stream/", format="csv")
    assert unknown.status_code == 422
    split = api.post(base(project) + "/exports/", {"format": "spans", "split": "80/x"})
    assert split.status_code == 422
    assert not ExportRun.objects.exists()


def test_an_export_task_is_started_polled_and_downloaded(
    project, reviewer, gold, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    api = ApiClient(token_for(reviewer))
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            base(project) + "/exports/", {"format": "spans", "selection": "gold"}
        )
    assert started.status_code == 202
    polled = api.get(base(project) + f"/exports/{started.json()['id']}/").json()
    assert polled["status"] == "done" and polled["lines"] == 1
    download = api.get(polled["downloads"][0])
    assert download.status_code == 200
    assert json.loads(b"".join(download.streaming_content))["text"] == TEXT


def test_exports_need_the_reviewer_role(project, annotator, gold):
    api = ApiClient(token_for(annotator))
    assert (
        api.get(base(project) + "/exports/stream/", format="spans").status_code == 403
    )
    assert api.get(base(project) + "/exports/").status_code == 403


def test_import_runs_are_listed_for_managers(project, manager, annotator):
    api = ApiClient(token_for(manager))
    api.post(
        base(project) + "/documents/",
        b'{"text": "One."}\n',
        content_type="application/x-ndjson",
    )
    runs = api.get(base(project) + "/imports/").json()
    assert [(r["format"], r["status"], r["imported"]) for r in runs] == [
        ("api", "done", 1)
    ]
    one = api.get(base(project) + f"/imports/{runs[0]['id']}/")
    assert one.json()["read"] == 1
    assert (
        ApiClient(token_for(annotator)).get(base(project) + "/imports/").status_code
        == 403
    )
