"""A project with an external model server (Label Studio's ML backend protocol) gets
its predictions, through the model page and the worker's task; every bad answer is
logged on the model page, the good part of an answer kept, and no screen breaks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.mlbackend.predict import predict_documents, request_training
from annotate.models import (
    Assignment,
    ModelServerEvent,
    Prediction,
    StanceTarget,
)
from tests.conftest import make_document, member
from tests.mlbackend.protocol_server import VERSION, ProtocolServer

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = [
    "🇲🇱 Sergey Lavrov arrived in Bamako on Monday.",
    "Lavrov left Bamako for Conakry.",
]


@pytest.fixture
def server():
    with ProtocolServer() as running:
        yield running


@pytest.fixture
def served(project, server, settings):
    settings.MODEL_SERVER_TIMEOUT = 0.5
    settings.MODEL_SERVER_CHUNK = 1
    project.model_server_url = server.url
    project.model_server_auth = "Token sesame"
    project.save()
    StanceTarget.objects.create(project=project, name="Russia in Africa")
    for n, text in enumerate(TEXTS):
        make_document(project, text=text, title=f"Doc {n}")
    return project


def logged(project, level="error") -> list[str]:
    return list(
        ModelServerEvent.objects.filter(project=project, level=level)
        .order_by("id")
        .values_list("message", flat=True)
    )


def test_it_stores_the_servers_predictions_for_every_document(served, server):
    run = predict_documents(served)
    assert run.documents == 2
    paths = [path for path, _, _ in server.requests]
    assert paths == ["/health", "/setup", "/predict", "/predict"]  # one per chunk
    _, headers, setup = server.requests[1]
    assert headers["Authorization"] == "Token sesame"
    assert '<Label value="PERSON"/>' in setup["schema"]
    assert '<Text name="text" value="$text"/>' in setup["schema"]
    assert '<Choice value="against"/>' in setup["schema"]
    first = Prediction.objects.get(document__title="Doc 0")
    assert first.model_name == VERSION
    assert [(s["text"], s["label"], s["score"]) for s in first.spans] == [
        ("Lavrov", "PERSON", 0.9),
        ("Bamako", "GPE", 0.7),
    ]
    assert first.stances == [
        {"target": "Russia in Africa", "probabilities": {"against": 0.8}}
    ]
    assert first.uncertainty == pytest.approx(0.25)
    assert logged(served) == []
    assert "for 2 documents (4 spans)" in logged(served, "info")[0]


def test_the_model_page_fetches_predictions_and_shows_the_log(served, server, client):
    manager = member(served, "boss", "manager")
    client.force_login(manager)
    page = reverse("annotate:model-server", args=[served.slug])
    response = client.post(page, {"action": "predict"}, follow=True)
    assert response.status_code == 200
    assert Prediction.objects.filter(document__project=served).count() == 2
    assert "Stored proto-ner-v1" in response.content.decode()


def test_it_asks_the_server_to_train(served, server):
    request_training.call(served.pk)
    path, _, body = server.requests[-1]
    assert path == "/webhook" and body["action"] == "START_TRAINING"
    assert "Training requested" in logged(served, "info")[0]


def screen_works(project) -> None:
    """The annotation screen of a predicted document still draws."""
    from django.test import Client

    annotator = member(project, "ann2", "annotator")
    document = project.documents.order_by("id").first()
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    client = Client()
    client.force_login(annotator)
    response = client.get(
        reverse("annotate:annotate", args=[project.slug, assignment.pk])
    )
    assert response.status_code == 200


def test_a_server_that_hangs_is_logged_as_a_timeout(served, server):
    server.mode = "hang"
    predict_documents(served)
    assert logged(served) == [f"no answer from {server.url}/predict within 0.5 s"]
    assert not Prediction.objects.exists()
    screen_works(served)


def test_a_500_is_logged_with_what_the_server_said(served, server):
    server.mode = "500"
    predict_documents(served)
    assert logged(served) == [
        f"{server.url}/predict answered HTTP 500: Traceback: model exploded"
    ]
    assert not Prediction.objects.exists()
    screen_works(served)


def test_invalid_json_is_logged(served, server):
    server.mode = "invalid-json"
    predict_documents(served)
    [message] = logged(served)
    assert message.startswith(f"{server.url}/predict answered with invalid JSON")
    screen_works(served)


def test_offsets_outside_the_text_are_logged_and_left_out(served, server):
    server.mode = "outside"
    predict_documents(served)
    errors = logged(served)
    assert len(errors) == 4  # two spans in each of two documents
    assert "are outside the text" in errors[0] and "document " in errors[0]
    # The rest of the answer (the stance) is kept; no span is.
    assert all(p.spans == [] for p in Prediction.objects.all())
    assert all(p.stances for p in Prediction.objects.all())
    screen_works(served)


def test_unknown_labels_are_logged_and_left_out(served, server):
    server.mode = "unknown-label"
    predict_documents(served)
    errors = logged(served)
    assert len(errors) == 2 and "unknown entity label 'CITY'" in errors[0]
    labels = {s["label"] for p in Prediction.objects.all() for s in p.spans}
    assert labels == {"PERSON"}
    screen_works(served)


def test_an_unreachable_server_is_logged(served, server):
    served.model_server_url = "http://127.0.0.1:9"  # discard port: nothing listens
    served.save()
    predict_documents(served)
    [message] = logged(served)
    assert message.startswith("could not reach http://127.0.0.1:9/health")
