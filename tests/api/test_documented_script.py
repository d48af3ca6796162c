"""The Python script of docs/api.md against a live server, end to end: 1,000 articles
with predictions in, an annotator labels one through the API, a reviewer accepts and
builds gold, the gold spans come out; two webhook receivers (real HTTP servers) get
the signed events from the task worker, and the failing one is retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from annotate.models import Delivery, Document, Membership, Prediction, Project
from annotate.webhooks.delivery import verify
from tests.api.receiver import Receiver
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "api_example.py"
ARTICLES = 1000
EVENTS = [
    "document.submitted",
    "version.accepted",
    "gold.changed",
    "import.finished",
    "export.finished",
]


def test_the_docs_show_the_script_as_it_is():
    assert SCRIPT.read_text().strip() in (ROOT / "docs" / "api.md").read_text()


def articles(path: Path) -> None:
    lines = []
    for n in range(ARTICLES):
        text = f"Article {n}: Sergey Lavrov met officials in Bamako on day {n}."
        start = text.index("Sergey")
        prediction = {
            "start": start,
            "end": start + 13,
            "label": "PERSON",
            "score": 0.9,
        }
        lines.append(
            json.dumps(
                {
                    "id": f"a{n}",
                    "title": f"Day {n}",
                    "text": text,
                    "predictions": {
                        "model_name": "ner",
                        "model_version": "1",
                        "spans": [prediction],
                    },
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def token(username: str) -> str:
    out = StringIO()
    call_command(
        "create_api_token", username, "--name", "script", stdout=out, stderr=StringIO()
    )
    return out.getvalue().strip()


def run_script(live_server, key: str, *args: str) -> str:
    env = {**os.environ, "NEWSAPP_URL": live_server.url, "NEWSAPP_TOKEN": key}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def receivers():
    good, failing = Receiver().start(), Receiver(answers=[500]).start()
    yield good, failing
    good.stop()
    failing.stop()


@pytest.mark.slow
def test_the_documented_script_round_trip(
    transactional_db, live_server, settings, tmp_path, receivers
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_SECONDS = 0  # due at once, so the worker's batch retries it
    project, _ = Project.objects.get_or_create_with_labels("mali", name="Mali")
    project.stance_targets.create(name="Russia in Africa")
    for name, role in (("man", "manager"), ("ann", "annotator"), ("rev", "reviewer")):
        Membership.objects.create(user=make_user(name), project=project, role=role)
    keys = {name: token(name) for name in ("man", "ann", "rev")}
    good, failing = receivers
    base = f"{live_server.url}/api/v1/projects/mali"

    def client(name: str) -> httpx.Client:
        return httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {keys[name]}"}, timeout=60
        )

    secrets = []
    for receiver in receivers:
        hook = client("man").post(
            "/webhooks/", json={"url": receiver.url, "events": EVENTS}
        )
        assert hook.status_code == 201
        secrets.append(hook.json()["secret"])

    source = tmp_path / "articles.jsonl"
    articles(source)
    said = run_script(live_server, keys["man"], "push", "mali", str(source))
    assert (
        said.strip()
        == f"{ARTICLES} read, {ARTICLES} imported, 0 duplicates, 0 rejected"
    )
    assert Document.objects.filter(project=project).count() == ARTICLES
    assert Prediction.objects.filter(document__project=project).count() == ARTICLES

    annotator = client("ann")
    version = annotator.post("/queue/").json()["version"]
    document = annotator.get(f"/documents/{version['document']}/").json()
    start = document["text"].index("Bamako")
    gpe = next(
        label["id"]
        for label in annotator.get("/").json()["labels"]
        if label["name"] == "GPE"
    )
    where = f"/documents/{document['id']}/annotations/{version['id']}"
    added = annotator.post(
        f"{where}/spans/",
        json={"start": start, "end": start + 6, "text": "Bamako", "label": gpe},
    )
    assert added.status_code == 201
    submitted = annotator.post(f"{where}/submit/").json()

    reviewer = client("rev")
    accepted = reviewer.post(
        f"{where}/review/", json={"action": "accept", "version": submitted["version"]}
    )
    assert accepted.json()["review_state"] == "accepted"
    assert (
        reviewer.post(
            f"/documents/{document['id']}/gold/", json={"version": version["id"]}
        ).status_code
        == 200
    )

    gold = tmp_path / "gold.jsonl"
    run_script(live_server, keys["rev"], "pull", "mali", str(gold))
    lines = [json.loads(line) for line in gold.read_text().splitlines()]
    assert [(line["text"], line["spans"]) for line in lines] == [
        (
            document["text"],
            [
                {
                    "start": start,
                    "end": start + 6,
                    "label": "GPE",
                    "text": "Bamako",
                    "entity": None,
                }
            ],
        )
    ]

    call_command("db_worker", "--batch", "--verbosity", "0")
    for receiver, secret in zip(receivers, secrets, strict=True):
        events = [
            json.loads(r.body)["event"]
            for r in receiver.received
            if r.headers["X-Newsapp-Event"]
        ]
        assert sorted(set(events)) == sorted(EVENTS)
        for sent in receiver.received:
            headers = sent.headers
            assert verify(
                secret,
                headers["X-Newsapp-Timestamp"],
                sent.body,
                headers["X-Newsapp-Signature"],
            )
    retried = Delivery.objects.filter(webhook__url=failing.url).order_by("id").first()
    assert retried.status == "delivered" and retried.attempts == 2
    assert not Delivery.objects.exclude(status="delivered").exists()
