"""newsapp against a model server built with Label Studio's own ML SDK
(label-studio-ml 1.0.9 from the package index, in an interpreter of its own: it pins
Flask and friends newsapp does not need). NEWSAPP_LSML_PYTHON names that interpreter;
without it (or /tmp/lsml-venv) the test is skipped. To set one up:
    python3 -m venv /tmp/lsml-venv && /tmp/lsml-venv/bin/pip install label-studio-ml redis rq
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from annotate.mlbackend.predict import predict_documents
from annotate.models import ModelServerEvent, Prediction
from tests.conftest import make_document

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PYTHON = os.environ.get("NEWSAPP_LSML_PYTHON", "/tmp/lsml-venv/bin/python")
SERVER = Path(__file__).with_name("lsml_server.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sdk_server(tmp_path):
    if not Path(PYTHON).exists():
        pytest.skip(f"no interpreter with label-studio-ml at {PYTHON}")
    check = subprocess.run(
        [PYTHON, "-c", "import label_studio_ml.api"], capture_output=True
    )
    if check.returncode:
        pytest.skip(f"label-studio-ml does not import in {PYTHON}")
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, str(SERVER), str(port), str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:  # until it answers /health
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                    assert json.load(answer)["status"] == "UP"
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the label-studio-ml server did not start", False)
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_label_studio_sdk_server_serves_newsapp_unchanged(project, sdk_server):
    document = make_document(project, text="🇲🇱 Lavrov met Goita; Lavrov left.")
    project.model_server_url = sdk_server
    project.save()
    run = predict_documents(project)
    assert not ModelServerEvent.objects.filter(level="error").exists()
    assert run.documents == 1
    prediction = Prediction.objects.get(document=document)
    assert prediction.model_name == "INITIAL"  # the SDK's first model_version
    # The SDK counts in code points here (Python's re): taken as they are.
    assert [(s["text"], s["score"]) for s in prediction.spans] == [
        ("Lavrov", 0.66),
        ("Lavrov", 0.66),
    ]
    assert prediction.uncertainty == pytest.approx(0.34)
