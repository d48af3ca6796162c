"""Label Studio's side of `make bench-peers`: its install, its server and the timed calls.

Label Studio 1.23.2 (pip) is installed into var/peers/venv on first use and run by its own
`label-studio start` (Django's server, one process) on newsapp's PostgreSQL, in a database
of its own (it reads the POSTGRE_* variables). The client drives its REST API with a
legacy token, sequentially, as one annotator would: import every task in one POST, then
for each annotated document the next task, the task, and one POST of its annotation.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from django.conf import settings

from bench.peers_cpu import ServerCpu, percentile

LS_VERSION = "1.23.2"
DATABASE = "newsapp_peer_labelstudio"
USER = "bench@example.com"
PASSWORD = "bench-peers-password"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
LABELS = ("PERSON", "ORG", "LOC", "MISC")
CONFIG = (
    '<View><Labels name="label" toName="text">'
    + "".join(f'<Label value="{label}"/>' for label in LABELS)
    + '</Labels><Text name="text" value="$text"/></View>'
)
START_TIMEOUT_S = 600  # the first start migrates a fresh database


def venv() -> Path:
    return Path(settings.VAR_DIR) / "peers" / "venv"


def ensure_installed(log) -> float | None:
    """Install Label Studio into var/peers/venv unless it is there; the seconds it
    took, or None when it was there already. Raises RuntimeError with pip's tail."""
    folder = venv()
    if (folder / "bin" / "label-studio").exists():
        return None
    started = time.perf_counter()
    log(f"installing label-studio=={LS_VERSION} into {folder} (a few minutes)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        ["python3", "-m", "venv", str(folder)],
        [str(folder / "bin" / "pip"), "install", "-q", f"label-studio=={LS_VERSION}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode:
            tail = (done.stderr or done.stdout)[-1500:]
            raise RuntimeError(f"{' '.join(step[:3])} failed: {tail}")
    return time.perf_counter() - started


def database_env() -> dict[str, str]:
    """Where Label Studio finds newsapp's PostgreSQL (the same server)."""
    db = settings.DATABASES["default"]
    return {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": DATABASE,
        "POSTGRE_USER": db["USER"] or "postgres",
        "POSTGRE_PASSWORD": db.get("PASSWORD") or "",
        "POSTGRE_HOST": db["HOST"] or "127.0.0.1",
        "POSTGRE_PORT": str(db["PORT"] or 5432),
    }


def recreate_database() -> None:
    env = database_env()
    with psycopg.connect(
        dbname="postgres",
        user=env["POSTGRE_USER"],
        password=env["POSTGRE_PASSWORD"] or None,
        host=env["POSTGRE_HOST"],
        port=env["POSTGRE_PORT"],
        autocommit=True,
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


@dataclass
class LabelStudio:
    base: str
    process: subprocess.Popen
    client: httpx.Client

    @property
    def cpu(self) -> ServerCpu:
        return ServerCpu(self.process.pid)


@contextmanager
def running(port: int, log_file: Path, log) -> Iterator[LabelStudio]:
    """A fresh Label Studio (new database, new data folder) answering on `port`."""
    recreate_database()
    data = Path(settings.VAR_DIR) / "peers" / "ls-data"
    subprocess.run(["rm", "-rf", str(data)], check=True)
    # Not newsapp's own settings module or database: Label Studio picks its own.
    ours = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH"}
    env = {
        **{key: value for key, value in os.environ.items() if key not in ours},
        **database_env(),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
    }
    base = f"http://127.0.0.1:{port}"
    command = [
        str(venv() / "bin" / "label-studio"),
        "start",
        "--no-browser",
        "--internal-host=127.0.0.1",
        f"--port={port}",
        f"--host={base}",
        f"--username={USER}",
        f"--password={PASSWORD}",
        f"--user-token={TOKEN}",
        "--enable-legacy-api-token",
    ]
    with log_file.open("w") as out:
        child = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = httpx.Client(
            base_url=base, headers={"Authorization": f"Token {TOKEN}"}, timeout=600
        )
        try:
            started = time.perf_counter()
            wait_ready(client, child, log_file)
            log(f"label studio up in {time.perf_counter() - started:.0f} s")
            yield LabelStudio(base, child, client)
        finally:
            client.close()
            stop(child)


def wait_ready(client: httpx.Client, child: subprocess.Popen, log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(
                f"label-studio exited with {child.returncode}: {log_file.read_text()[-1500:]}"
            )
        try:
            if client.get("/api/projects", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"label-studio did not answer within {START_TIMEOUT_S} s")


def stop(child: subprocess.Popen) -> None:
    """SIGTERM to its process group (by the id this module started), then SIGKILL."""
    if child.poll() is not None:
        return
    os.killpg(child.pid, 15)
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, 9)
        child.wait()


def task_of(article: dict) -> dict:
    return {
        "data": {
            "text": article["text"],
            "title": article["title"],
            "source": article["publisher"],
            "url": article["url"],
            "published_at": article["published_at"],
        }
    }


def result_of(text: str, spans: list[tuple[int, int]]) -> list[dict]:
    return [
        {
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {
                "start": start,
                "end": end,
                "text": text[start:end],
                "labels": [LABELS[n % len(LABELS)]],
            },
        }
        for n, (start, end) in enumerate(spans)
    ]


def measure(
    ls: LabelStudio,
    articles: list[dict],
    annotate: int,
    samples: int,
    choose,
    log,
    repeats: int = 1,
) -> dict:
    """The same operations as newsapp's side: import (`repeats` times, each into a
    fresh project; the fastest counts), annotate `annotate` documents (next, page, one
    save of their spans), page and list latencies, export, memory."""
    client, cpu = ls.client, ls.cpu
    body = json.dumps([task_of(article) for article in articles])
    import_s = float("inf")
    for _ in range(repeats):
        answer = client.post(
            "/api/projects", json={"title": "bench", "label_config": CONFIG}
        )
        answer.raise_for_status()
        project = answer.json()["id"]
        started = time.perf_counter()
        answer = client.post(
            f"/api/projects/{project}/import",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        answer.raise_for_status()
        seconds = time.perf_counter() - started
        import_s = min(import_s, seconds)
        count = answer.json().get("task_count")
        if count != len(articles):
            raise RuntimeError(
                f"label studio imported {count} of {len(articles)} tasks"
            )
        log(f"label studio: import {len(articles)} in {seconds:.1f} s")

    per_doc, per_action = [], {"next": [], "page": [], "save": []}
    for _ in range(annotate):
        doc_started = cpu.seconds()
        mark = doc_started
        task = client.get(f"/api/projects/{project}/next").raise_for_status().json()
        mark = _step(cpu, mark, per_action["next"])
        task = client.get(f"/api/tasks/{task['id']}").raise_for_status().json()
        mark = _step(cpu, mark, per_action["page"])
        text = task["data"]["text"]
        result = result_of(text, choose(text))
        client.post(
            f"/api/tasks/{task['id']}/annotations",
            json={"result": result, "lead_time": 30.0},
        ).raise_for_status()
        mark = _step(cpu, mark, per_action["save"])
        per_doc.append(mark - doc_started)

    ids = [t["id"] for t in _task_page(client, project, 100)]
    page_ms = _latencies(
        lambda n: client.get(f"/api/tasks/{ids[n % len(ids)]}"), samples
    )
    list_ms = _latencies(
        lambda n: client.get(
            "/api/tasks",
            params={"project": project, "page": 1 + n % 5, "page_size": 30},
        ),
        samples,
    )
    started = time.perf_counter()
    size = 0
    with client.stream(
        "GET", f"/api/projects/{project}/export", params={"exportType": "JSON", "download_all_tasks": "true"}
    ) as answer:  # fmt: skip
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            size += len(chunk)
    export_s = time.perf_counter() - started
    log(f"label studio: export {size / 1e6:.1f} MB in {export_s:.1f} s")
    return {
        "import_s": round(import_s, 2),
        "import_docs_per_s": round(len(articles) / import_s),
        "cpu_ms_per_document": round(1000 * sum(per_doc) / len(per_doc), 1),
        "cpu_ms_per_action": {
            kind: round(1000 * sum(values) / len(values), 1)
            for kind, values in per_action.items()
        },
        "actions_per_document": "next + task GET + 1 annotation POST (10 spans)",
        "page_ms_p50": percentile(page_ms, 50),
        "list_ms_p50": percentile(list_ms, 50),
        "export_s": round(export_s, 2),
        "export_mb": round(size / 1e6, 1),
        "rss_mb": cpu.rss_mb(),
    }


def _step(cpu: ServerCpu, mark: float, into: list[float]) -> float:
    now = cpu.seconds()
    into.append(now - mark)
    return now


def _task_page(client: httpx.Client, project: int, size: int) -> list[dict]:
    answer = client.get("/api/tasks", params={"project": project, "page_size": size})
    answer.raise_for_status()
    body = answer.json()
    return body["tasks"] if isinstance(body, dict) else body


def _latencies(call, samples: int) -> list[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        call(n).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times
