"""Load test: simulated annotators against gunicorn on loopback, beside the rate of a
trivial view (GET /health/) under the same number of clients on the same servers.

    python bench/load.py [--annotators 50] [--seconds 60] [--servers 1] [--quick]
                         [--workers N] [--threads N] [--documents N] [--sweep]
                         [--json FILE]

Each annotator loops: GET next (302) -> GET the annotation page -> 5 span POSTs ->
stance -> rating -> submit (htmx POSTs, as the browser sends them), with no think
time; every request is one action. The sessions are made in the database (no login:
PBKDF2 and the login throttle would dominate). Every acknowledged write (a 2xx answer
to a POST) is checked in the database afterwards: lost, duplicated, over-assigned.
The client runs in this process (asyncio + httpx) and shares the machine's cores with
gunicorn and PostgreSQL, so its own CPU time is reported too.

Worker settings, measured (`--sweep --seconds 30`: 50 annotators, 30 s each, on a
2-core VM with the embedded PostgreSQL; p50/p95 over all actions; gunicorn's CPU per
action; 2026-11-23):

    sync 2 workers                54.5 actions/s   441 health/s  p50/p95  925/1156 ms  23 ms
    sync 3 workers                60.2 actions/s   405 health/s  p50/p95  836/1059 ms  23 ms
    sync 4 workers                51.1 actions/s   416 health/s  p50/p95  966/1285 ms  27 ms
    sync 5 workers                52.4 actions/s   414 health/s  p50/p95  989/1190 ms  27 ms
    gthread 2 workers x 2 threads 65.7 actions/s   943 health/s  p50/p95  755/1092 ms  21 ms
    gthread 2 workers x 4 threads 61.0 actions/s   939 health/s  p50/p95  679/1559 ms  22 ms
    gthread 3 workers x 2 threads 53.9 actions/s   803 health/s  p50/p95  446/3048 ms  26 ms
    gthread 4 workers x 4 threads 53.3 actions/s   838 health/s  p50/p95  647/2273 ms  27 ms

Full 60 s runs on an otherwise idle machine: gthread 2 x 2 63.7, 64.0 and 56.4
actions/s (p95 1.4-1.6 s); sync 3 57.4 actions/s (p95 1.1 s). Runs drift by ~10 %
(and more when the hypervisor steals CPU: see `steal` in the CPU lines). The default
is gthread, 2 workers x 2 threads: the most actions/s and the lowest median in every
paired run. Two processes keep the two cores busy, and the second thread runs while
the first waits on PostgreSQL; more processes or threads only add contention (CPU per
action grows, the tail with it). gthread keeps connections alive, which sync workers
cannot: a new TCP connection per request costs both sides about a millisecond of CPU
here, which is why /health/ runs about twice as fast on gthread (so the ratio reads
lower there, at more actions/s). Each process's pool holds `threads` connections
(DATABASE_POOL_MAX): a thread uses one at a time.

Results go to var/bench/load.json unless --json says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# httpcore tries `import sniffio` on every request; without the package installed,
# each failed import searches sys.path again (about 1 ms of the client's CPU a request,
# on the cores the server needs). None in sys.modules makes that ImportError instant.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402

from annotate.exports.stored import export_folder  # noqa: E402
from annotate.ingest.records import DocumentRecord  # noqa: E402
from annotate.models import (  # noqa: E402
    Assignment,
    Document,
    ExportRun,
    Label,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from bench.corpus import OUTLETS, articles  # noqa: E402
from bench.scaled import member  # noqa: E402

SLUG = "bench-load"
DOCUMENTS = 5_000  # 50 annotators submit ~10 a second at most: never runs dry in 60 s
OVERLAP = 2
SPANS_PER_DOCUMENT = 5
REQUEST_TIMEOUT_S = 30
KEEPALIVE_EXPIRY_S = 1.0  # below gunicorn's --keep-alive (2 s): see new_client
BIN = Path(sys.executable).parent
# A span is a capitalised name, as annotators mark entities: also what the project's
# suggestion vocabulary then holds (a filler word would be suggested everywhere).
NAME = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*")
# The text as drawn, in blocks (annotate.labelling.paging): the documents are short,
# one part each, so its offsets are the whole text's.
DOC_TEXT = re.compile(
    r'<div id="doc-text" class="text" data-version="(\d+)" data-part="(\d+)"'
    r' data-offset="\d+" data-drawn="([^"]*)">(.*?)</div>',
    re.S,
)
CSRF_HEADER = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
# The first row of each panel, with the label it shows (seen_label: 0 for none), which
# the browser sends back so that a change from an out-of-date screen is refused.
RATED_SOURCE = re.compile(
    r'name="source" value="([^"]*)"><input type="hidden" name="role" value="(publisher|cited)">'
    r'\s*<input type="hidden" name="seen_label" value="(\d+)">'
)
STANCE_ROW = re.compile(
    r'name="target" value="(\d+)">\s*<input type="hidden" name="seen_label" value="(\d+)">'
)
FLASH = re.compile(r'<p id="flash"[^>]*>(.*?)</p>', re.S)
TAG = re.compile(r"<[^>]+>")
# The label's name drawn at a mark's start (span or suggestion): not part of the text.
LABEL_TAG = re.compile(r'<span class="tag[^"]*">[^<]*</span>')
KINDS = ("next", "page", "span", "stance", "rating", "submit")


@dataclass(frozen=True)
class ServerConfig:
    """One gunicorn's worker settings: sync workers when threads is 1, else gthread."""

    workers: int
    threads: int = 1

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    def __str__(self) -> str:
        threads = f" x {self.threads} threads" if self.threads > 1 else ""
        return f"{self.worker_class} {self.workers} workers{threads}"


DEFAULT_CONFIG = ServerConfig(workers=2, threads=2)  # see the module docstring
SWEEP = [
    ServerConfig(2),
    ServerConfig(3),
    ServerConfig(4),
    ServerConfig(5),
    ServerConfig(2, 2),
    ServerConfig(2, 4),
    ServerConfig(3, 2),
    ServerConfig(4, 4),
]


# The project, its annotators and their sessions


@dataclass
class Fixture:
    project_id: int
    overlap: int
    entity_labels: list[int]
    stance_labels: list[int]
    reliability_labels: list[int]
    sessions: list[str]  # one session key per annotator
    reviewer_session: str


# Work run beside the annotators: (server URLs, fixture, deadline) -> its report.
Background = Callable[[list[str], Fixture, float], Awaitable[dict]]


def build_fixture(
    annotators: int, documents: int = DOCUMENTS, seed: int = 1
) -> Fixture:
    """A fresh bench-load project: documents, one stance target, annotators with
    sessions and a reviewer (who may start exports)."""
    remove_previous_project()
    project, _ = Project.objects.get_or_create_with_labels(SLUG)
    project.overlap = OVERLAP
    project.save(update_fields=["overlap"])
    StanceTarget.objects.create(project=project, name="Russian influence in Africa")
    insert_documents(project, documents, seed)
    users = [member(project, f"bench-load-{n}", "annotator") for n in range(annotators)]
    reviewer = member(project, "bench-load-reviewer", "reviewer")
    with connection.cursor() as cursor:  # fresh rows: plan the queue's scan on them
        cursor.execute("ANALYZE annotate_document, annotate_assignment")
    labels = Label.objects.filter(project=project)
    return Fixture(
        project_id=project.pk,
        overlap=project.overlap,
        entity_labels=[x.pk for x in labels if x.kind == Label.Kind.ENTITY],
        stance_labels=[x.pk for x in labels if x.kind == Label.Kind.STANCE],
        reliability_labels=[x.pk for x in labels if x.kind == Label.Kind.RELIABILITY],
        sessions=[session_for(user) for user in users],
        reviewer_session=session_for(reviewer),
    )


def remove_previous_project() -> None:
    for run in ExportRun.objects.filter(project__slug=SLUG):
        shutil.rmtree(export_folder(run), ignore_errors=True)
    Project.objects.filter(slug=SLUG).delete()


def insert_documents(project: Project, count: int, seed: int) -> None:
    """bulk_create in batches: ~5,000 documents of 3 KB in a few seconds."""
    publishers = {name: publisher_named(name) for name in OUTLETS}
    batch = []
    for item in articles(count, seed):
        record = DocumentRecord(text=item["text"], raw="", origin="bench")
        batch.append(
            Document(
                project=project,
                external_id=item["id"],
                title=item["title"],
                text=item["text"],
                url=item["url"],
                publisher=publishers[item["publisher"]],
                byline=item["byline"],
                published_at=item["published_at"],
                language=item["language"],
                content_hash=record.content_hash,
            )
        )
    Document.objects.bulk_create(batch, batch_size=1000)


def publisher_named(name: str) -> Source:
    return Source.objects.named(name) or Source.objects.create(name=name)


def session_for(user) -> str:
    """A logged-in session made directly, as django.contrib.auth.login would store it."""
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def delete_sessions(fixture: Fixture) -> None:
    for key in [*fixture.sessions, fixture.reviewer_session]:
        SessionStore(key).delete()


# Servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSAPP_PLAIN_STATIC": "1",
        "DATABASE_URL": settings.DATABASE_URL,
        # A thread holds one connection at a time: more in the pool would only sit
        # idle against PostgreSQL's max_connections.
        "DATABASE_POOL_MAX": str(threads),
    }


def log_path(name: str) -> Path:
    folder = Path(settings.VAR_DIR) / "bench" / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.log"


@contextmanager
def process(command: list[str], *, name: str, env: dict) -> Iterator[subprocess.Popen]:
    """A child in a process group of its own (its log under var/bench/logs), stopped
    with SIGTERM, then SIGKILL, however the block ends."""
    with log_path(name).open("w") as log:
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield child
        finally:
            stop(child)


def stop(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def gunicorn_command(config: ServerConfig, port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "newsapp.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={config.workers}",
        f"--threads={config.threads}",
        f"--worker-class={config.worker_class}",
        "--backlog=2048",
        "--timeout=60",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]


def wait_healthy(base: str, child: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            tail = log_path(name).read_text()[-2000:]
            raise SystemExit(f"{name} exited with {child.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base}/health/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} did not answer /health/ within 60 s")


@dataclass
class Running:
    bases: list[str]  # one URL per gunicorn
    servers: list[int]  # the gunicorn masters' pids
    task_workers: list[int]


@contextmanager
def servers_running(
    config: ServerConfig, count: int, task_workers: int
) -> Iterator[Running]:
    """`count` gunicorns on free ports, answering /health/, and `task_workers`
    db_workers (named bench-worker-N, which their task results record)."""
    with ExitStack() as stack:
        running = Running([], [], [])
        # Task workers first: their start-up (Django's imports) is over before any
        # phase is measured.
        for n in range(1, task_workers + 1):
            command = [sys.executable, "manage.py", "db_worker", "--verbosity=1"]
            command.append(f"--worker-id=bench-worker-{n}")
            name = f"db-worker-{n}"
            child = stack.enter_context(process(command, name=name, env=server_env(1)))
            running.task_workers.append(child.pid)
        for n in range(1, count + 1):
            port = free_port()
            name = f"gunicorn-{n}"
            command = gunicorn_command(config, port)
            env = server_env(config.threads)
            child = stack.enter_context(process(command, name=name, env=env))
            wait_healthy(f"http://127.0.0.1:{port}", child, name)
            running.bases.append(f"http://127.0.0.1:{port}")
            running.servers.append(child.pid)
        yield running


def connection_budget(config: ServerConfig, servers: int, task_workers: int) -> dict:
    """Refuse to start more pooled connections than PostgreSQL has free."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int "
            "- current_setting('superuser_reserved_connections')::int, "
            "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        allowed, used = cursor.fetchone()
    wanted = servers * config.workers * config.threads + task_workers
    if wanted > allowed - used - 5:
        raise SystemExit(
            f"{wanted} connections wanted, PostgreSQL has {allowed - used} free "
            f"(max_connections less reserved: {allowed}, in use: {used})"
        )
    return {"wanted": wanted, "max": allowed, "in_use_before": used}


# CPU accounting: the client is this process; the servers are their process trees.


def tree_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            master = psutil.Process(pid)
            for proc in [master, *master.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_pids() -> list[int]:
    pid_file = Path(settings.DATABASES["default"]["HOST"]) / "postmaster.pid"
    try:
        return [int(pid_file.read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []  # an external server: not on this machine, or not ours to read


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (steal, the hypervisor's
    share, left out): the rest of the machine, e.g. a test suite running beside the
    benchmark, shows as `other`."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq


@dataclass
class CpuMeter:
    """CPU seconds of the client, the gunicorns, the task workers, PostgreSQL and
    everything else on the machine over one phase."""

    servers: list[int]
    task_workers: list[int]
    started: dict = field(default_factory=dict)

    def sample(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "client": usage.ru_utime + usage.ru_stime,
            "gunicorn": tree_cpu_seconds(self.servers),
            "task_workers": tree_cpu_seconds(self.task_workers),
            "postgres": tree_cpu_seconds(postgres_pids()),
            "machine": machine_busy_seconds(),
            # Time the hypervisor gave this VM's vCPUs to someone else: CPU this
            # run wanted and did not get (it comes and goes on shared hosts).
            "steal": psutil.cpu_times().steal,
        }

    def start(self) -> None:
        self.started = self.sample()

    def stop(self) -> dict[str, float]:
        ended = self.sample()
        used = {part: ended[part] - self.started[part] for part in ended}
        steal = used.pop("steal")
        used["other"] = used.pop("machine") - sum(used.values())
        used["steal"] = steal
        return {f"{part}_cpu_s": round(max(0.0, s), 1) for part, s in used.items()}


# The simulated annotator


@dataclass
class Tally:
    """Everything the clients saw: latencies per kind, errors, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # "kind status/reason" -> count
    samples: dict[str, str] = field(default_factory=dict)  # first answer of each error
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)
    stances: list[tuple[int, int]] = field(default_factory=list)
    ratings: list[tuple[int, str, str]] = field(default_factory=list)
    submits: list[int] = field(default_factory=list)
    ok: int = 0  # answered requests that were not errors: the actions
    per_server: Counter = field(default_factory=Counter)  # base URL -> requests

    def error(self, kind: str, reason: str, body: str = "") -> None:
        key = f"{kind} {reason}"
        self.errors[key] += 1
        if key not in self.samples:
            flash = FLASH.search(body)
            text = flash.group(1) if flash else TAG.sub(" ", body)
            self.samples[key] = " ".join(html.unescape(text).split())[:300]


class TimeUp(Exception):
    """The run's deadline passed: the client stops before its next request."""


@dataclass
class Page:
    assignment: int
    path: str
    text: str
    version: int
    csrf: str
    stance: dict  # the first stance row's target and seen_label
    source: dict  # the first source the screen offers to rate, and its seen_label
    # The part of the text shown and its drawing's fingerprint, which annotate.js
    # sends with every change (the answer then holds only what the change altered).
    shown: dict


def parse_page(assignment: int, path: str, body: str) -> Page | None:
    text, csrf = DOC_TEXT.search(body), CSRF_HEADER.search(body)
    stance, source = STANCE_ROW.search(body), RATED_SOURCE.search(body)
    if text is None or csrf is None or stance is None:
        return None
    return Page(
        assignment=assignment,
        path=path,
        # What the browser's selection sees: the text without the marks.
        text=html.unescape(TAG.sub("", LABEL_TAG.sub("", text.group(4)))),
        version=int(text.group(1)),
        csrf=csrf.group(1),
        stance={"target": int(stance.group(1)), "seen_label": int(stance.group(2))},
        source=(
            {
                "source": html.unescape(source.group(1)),
                "role": source.group(2),
                "seen_label": int(source.group(3)),
            }
            if source
            else {"source": OUTLETS[assignment % len(OUTLETS)], "role": "cited"}
        ),
        shown={"part": int(text.group(2)), "drawn": text.group(3)},
    )


def next_shown(answer, page: Page) -> tuple[int, dict]:
    """The version and the drawing a change's answer leaves the screen showing."""
    shown = json.loads(answer.headers.get("HX-Trigger") or "{}").get(
        "versionChanged", {}
    )
    drawn = shown.get("drawn", page.shown["drawn"])
    return shown.get("version", page.version), {**page.shown, "drawn": drawn}


def choose_spans(text: str, rng: random.Random, count: int) -> list[tuple[int, int]]:
    names = {(m.start(), m.end()) for m in NAME.finditer(text)}
    return rng.sample(sorted(names), min(count, len(names)))


class Annotator:
    """One browser: its session cookie, its requests spread over `bases` in turn."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        bases: list[str],
        fixture: Fixture,
        tally: Tally,
        rng: random.Random,
        deadline: float,
    ) -> None:
        self.client, self.bases, self.fixture = client, bases, fixture
        self.tally, self.rng, self.deadline = tally, rng, deadline
        self.turn = 0

    async def request(
        self, kind: str, method: str, path: str, **options
    ) -> httpx.Response | None:
        """One action, timed; None when it failed (counted in the tally)."""
        if time.monotonic() >= self.deadline:
            raise TimeUp
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1  # round robin per request: sessions must hold across servers
        self.tally.per_server[base] += 1
        started = time.perf_counter()
        try:
            response = await self.client.request(method, base + path, **options)
        except httpx.TimeoutException:
            self.tally.error(kind, "timeout")
            return None
        except httpx.HTTPError as error:
            self.tally.error(kind, type(error).__name__, str(error))
            return None
        self.tally.latencies[kind].append((time.perf_counter() - started) * 1000)
        location = response.headers.get("location", "")
        if response.status_code >= 400 or "/login/" in location:
            reason = "redirect to login" if location else str(response.status_code)
            self.tally.error(kind, reason, response.text)
            return None
        self.tally.ok += 1
        return response

    async def run(self) -> None:
        try:
            while await self.one_document():
                pass
        except TimeUp:
            pass

    async def one_document(self) -> bool:
        """Next, the page, the changes, submit; False when the queue ran dry."""
        answer = await self.request("next", "GET", f"/p/{SLUG}/next/")
        if answer is None:
            return True
        found = re.search(r"/a/(\d+)/$", answer.headers.get("location", ""))
        if found is None:
            self.tally.error("next", "no document (queue dry?)", answer.text)
            return False
        path = answer.headers["location"]
        answer = await self.request("page", "GET", path)
        if answer is None:
            return True
        page = parse_page(int(found.group(1)), path, answer.text)
        if page is None:
            self.tally.error("page", "unreadable page", answer.text)
            return True
        await self.label(page)
        if await self.change(page, "submit", "submit/", {}):
            self.tally.submits.append(page.assignment)
        return True

    async def label(self, page: Page) -> None:
        entity = self.fixture.entity_labels
        for start, end in choose_spans(page.text, self.rng, SPANS_PER_DOCUMENT):
            label = self.rng.choice(entity)
            data = {"start": start, "end": end, "text": page.text[start:end]}
            if await self.change(page, "span", "spans/", {**data, "label": label}):
                self.tally.spans.append((page.assignment, start, end, label))
        stance = {**page.stance, "label": self.rng.choice(self.fixture.stance_labels)}
        if await self.change(page, "stance", "stances/", stance):
            self.tally.stances.append((page.assignment, stance["target"]))
        grade = self.rng.choice(self.fixture.reliability_labels)
        if await self.change(
            page, "rating", "ratings/", {**page.source, "label": grade}
        ):
            self.tally.ratings.append(
                (page.assignment, page.source["source"], page.source["role"])
            )

    async def change(self, page: Page, kind: str, action: str, data: dict) -> bool:
        """An htmx POST as the page sends it (CSRF header, the version the screen
        shows); True when acknowledged. The answer's version is the screen's next."""
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": self.bases[0] + page.path,
            "X-CSRFToken": page.csrf,
        }
        data = {**data, "version": page.version, **page.shown}
        answer = await self.request(
            kind, "POST", page.path + action, data=data, headers=headers
        )
        if answer is None:
            return False
        page.version, page.shown = next_shown(answer, page)
        return True


# Phases


def new_client(session: str | None) -> httpx.AsyncClient:
    cookies = {"sessionid": session} if session else None
    # gthread closes a connection idle for 2 s (--keep-alive); one the client reuses
    # at that moment fails (ReadError, "Server disconnected"). Dropping idle
    # connections sooner avoids the race, as browsers' retries would.
    limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S)
    return httpx.AsyncClient(
        cookies=cookies,
        timeout=REQUEST_TIMEOUT_S,
        limits=limits,
        verify=False,  # plain http on loopback: no CA bundle to load per client
    )


async def annotate_for(
    bases: list[str],
    fixture: Fixture,
    seconds: float,
    seed: int,
    background: Background | None = None,
) -> tuple[Tally, float, dict]:
    """Every annotator at once until the deadline; returns the tally, the seconds the
    annotators took, and what `background` (run beside them) reported."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    clients = [new_client(session) for session in fixture.sessions]
    annotators = [
        Annotator(
            client, bases, fixture, tally, random.Random(seed * 1000 + n), deadline
        )
        for n, client in enumerate(clients)
    ]
    started = time.perf_counter()
    beside = (
        asyncio.create_task(background(bases, fixture, deadline))
        if background
        else None
    )
    try:
        await asyncio.gather(*(annotator.run() for annotator in annotators))
        elapsed = time.perf_counter() - started
        # The background work may outlast the annotators (exports still running).
        beside_report = await beside if beside else {}
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return tally, elapsed, beside_report


async def hammer_health(bases: list[str], clients: int, seconds: float) -> dict:
    """`clients` loops of GET /health/ at once: the rate of Django with nothing to do."""
    deadline = time.monotonic() + seconds
    counts = Counter()

    async def loop(client: httpx.AsyncClient, turn: int) -> None:
        while time.monotonic() < deadline:
            turn += 1
            try:
                answer = await client.get(bases[turn % len(bases)] + "/health/")
                counts["ok" if answer.status_code == 200 else "failed"] += 1
            except httpx.HTTPError:
                counts["failed"] += 1

    handles = [new_client(None) for _ in range(clients)]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(client, n) for n, client in enumerate(handles)))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in handles))
    return {
        "requests": counts["ok"],
        "failed": counts["failed"],
        "seconds": round(elapsed, 1),
        "per_s": round(counts["ok"] / elapsed, 1),
    }


# Checks in the database


def check_writes(fixture: Fixture, tally: Tally) -> dict:
    """Every acknowledged write there exactly once; no document over its overlap."""
    spans = Counter(
        Span.objects.filter(
            assignment__document__project_id=fixture.project_id
        ).values_list("assignment_id", "start", "end", "label_id")
    )
    stances = Counter(
        Stance.objects.filter(
            assignment__document__project_id=fixture.project_id
        ).values_list("assignment_id", "target_id")
    )
    ratings = Counter(
        (assignment, name.casefold(), role)
        for assignment, name, role in Rating.objects.filter(
            assignment__document__project_id=fixture.project_id
        ).values_list("assignment_id", "source__name", "role")
    )
    acked_ratings = [(a, name.casefold(), role) for a, name, role in tally.ratings]
    submitted = set(
        Assignment.objects.filter(pk__in=tally.submits, status="submitted").values_list(
            "pk", flat=True
        )
    )
    stored = [spans[k] for k in tally.spans] + [stances[k] for k in tally.stances]
    stored += [ratings[k] for k in acked_ratings]
    return {
        "acknowledged": {
            "spans": len(tally.spans),
            "stances": len(tally.stances),
            "ratings": len(tally.ratings),
            "submits": len(tally.submits),
        },
        "acknowledged_writes": len(tally.spans)
        + len(tally.stances)
        + len(tally.ratings)
        + len(tally.submits),
        "lost_writes": stored.count(0) + len(set(tally.submits) - submitted),
        "duplicated_writes": sum(1 for n in stored if n > 1),
        **check_slots(fixture),
    }


def check_slots(fixture: Fixture) -> dict:
    """Documents with more than `overlap` annotators, and documents whose kept
    assignment_count differs from the real count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE real > %s), "
            "count(*) FILTER (WHERE real <> kept) FROM ("
            " SELECT d.assignment_count AS kept, count(a.id) AS real"
            " FROM annotate_document d LEFT JOIN annotate_assignment a"
            " ON a.document_id = d.id AND NOT a.is_gold AND NOT a.is_imported"
            " AND a.status <> 'skipped'"
            " WHERE d.project_id = %s GROUP BY d.id) AS per_document",
            [fixture.overlap, fixture.project_id],
        )
        over, mismatched = cursor.fetchone()
    return {"over_assigned": over, "assignment_count_mismatch": mismatched}


# Figures


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def latency_table(tally: Tally) -> dict:
    table = {kind: percentiles(tally.latencies[kind]) for kind in KINDS}
    table["all"] = percentiles([ms for kind in KINDS for ms in tally.latencies[kind]])
    for kind in KINDS:
        table[kind]["errors"] = sum(
            n for key, n in tally.errors.items() if key.split()[0] == kind
        )
    table["all"]["errors"] = sum(tally.errors.values())
    return table


def run_load(
    *,
    annotators: int = 50,
    seconds: float = 60,
    servers: int = 1,
    workers: int = DEFAULT_CONFIG.workers,
    threads: int = DEFAULT_CONFIG.threads,
    task_workers: int = 0,
    seed: int = 1,
    ceiling_seconds: float | None = None,
    background: Background | None = None,
    documents: int = DOCUMENTS,
) -> dict:
    """Build the project, start the servers, measure the ceiling (GET /health/) and
    then the annotators on the same servers, and check the writes in the database.
    `background`, if given, runs beside the annotators (scaleout.py's exports)."""
    config = ServerConfig(workers, threads)
    budget = connection_budget(config, servers, task_workers)
    loadavg = [round(x, 2) for x in os.getloadavg()]
    fixture = build_fixture(annotators, documents, seed=seed)
    ceiling_seconds = ceiling_seconds or min(10.0, max(3.0, seconds / 3))
    try:
        with servers_running(config, servers, task_workers) as running:
            ceiling, (tally, elapsed, extra), cpu = measure(
                running, fixture, ceiling_seconds, seconds, seed, background
            )
    finally:
        delete_sessions(fixture)
    report = {
        "annotators": annotators,
        "seconds": seconds,
        "servers": servers,
        "config": str(config),
        "workers": workers,
        "threads": threads,
        "task_workers": task_workers,
        "documents": documents,
        **load_figures(tally, elapsed, ceiling),
        **check_writes(fixture, tally),
        "cpu": cpu,
        "ceiling": ceiling,
        "loadavg_before": loadavg,
        "connections": budget,
        "background": extra,
    }
    report["table"] = text_table(report)
    return report


def measure(
    running: Running,
    fixture: Fixture,
    ceiling_seconds: float,
    seconds: float,
    seed: int,
    background: Background | None,
) -> tuple[dict, tuple[Tally, float, dict], dict]:
    """The two phases on the same servers, the trivial view first, each with the CPU
    it took: /health/'s figures, the annotators' results, the CPU of both."""
    clients = len(fixture.sessions)
    meter = CpuMeter(running.servers, running.task_workers)
    meter.start()
    ceiling = asyncio.run(hammer_health(running.bases, clients, ceiling_seconds))
    health_cpu = meter.stop()
    meter.start()
    results = asyncio.run(
        annotate_for(running.bases, fixture, seconds, seed, background)
    )
    return ceiling, results, {"annotators": meter.stop(), "health": health_cpu}


def load_figures(tally: Tally, elapsed: float, ceiling: dict) -> dict:
    actions_per_s = tally.ok / elapsed
    return {
        "actions": tally.ok,
        "load_seconds": round(elapsed, 1),
        "actions_per_s": round(actions_per_s, 1),
        "ceiling_per_s": ceiling["per_s"],
        "ratio": round(actions_per_s / ceiling["per_s"], 3),
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "error_samples": tally.samples,
        "latency": latency_table(tally),
        "requests_per_server": dict(tally.per_server),
    }


def text_table(report: dict) -> str:
    lines = [
        f"{report['annotators']} annotators x {report['seconds']:.0f} s, "
        f"{report['servers']} server(s) of {report['config']}, "
        f"{report['task_workers']} task worker(s), {report['documents']:,} documents",
        f"{'action':<8} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}",
    ]
    for kind, row in report["latency"].items():
        p50, p95, most = (row[k] or 0.0 for k in ("p50_ms", "p95_ms", "max_ms"))
        lines.append(
            f"{kind:<8} {row['count']:>7} {p50:>8.1f} {p95:>8.1f} {most:>8.1f} {row['errors']:>7}"
        )
    acked = report["acknowledged"]
    lines += [
        f"actions/s {report['actions_per_s']:.1f}, /health/ req/s {report['ceiling_per_s']:.0f}"
        f" -> ratio {report['ratio']:.2f} (target >= 0.3)",
        f"acknowledged: {acked['spans']} spans, {acked['stances']} stances, "
        f"{acked['ratings']} ratings, {acked['submits']} submits",
        f"lost writes {report['lost_writes']}, duplicated {report['duplicated_writes']}, "
        f"over-assigned documents {report['over_assigned']}, assignment_count off "
        f"{report['assignment_count_mismatch']}, errors {report['errors']}",
        cpu_line("annotators", report["load_seconds"], report["cpu"]["annotators"]),
        cpu_line("/health/", report["ceiling"]["seconds"], report["cpu"]["health"]),
    ]
    for key, count in report["errors_by_kind"].items():
        lines.append(f"  error {key}: {count} ({report['error_samples'].get(key, '')})")
    return "\n".join(lines)


def cpu_line(phase: str, seconds: float, cpu: dict) -> str:
    parts = ", ".join(
        f"{name.removesuffix('_cpu_s')} {value:.1f}" for name, value in cpu.items()
    )
    cores = os.cpu_count() or 1
    return f"CPU s over {phase} ({seconds:.0f} s wall x {cores} cores): {parts}"


def sweep(annotators: int, seconds: float) -> list[dict]:
    """Runs of each worker configuration, one after another, on a fresh project each."""
    rows = []
    for config in SWEEP:
        report = run_load(
            annotators=annotators,
            seconds=seconds,
            workers=config.workers,
            threads=config.threads,
            ceiling_seconds=5,
        )
        cpu = report["cpu"]["annotators"]
        rows.append(
            {
                "config": str(config),
                "actions_per_s": report["actions_per_s"],
                "ceiling_per_s": report["ceiling_per_s"],
                "ratio": report["ratio"],
                "p50_ms": report["latency"]["all"]["p50_ms"],
                "p95_ms": report["latency"]["all"]["p95_ms"],
                "errors": report["errors"],
                "lost_writes": report["lost_writes"],
                "gunicorn_cpu_per_action_ms": round(
                    1000 * cpu["gunicorn_cpu_s"] / max(1, report["actions"]), 1
                ),
                # CPU taken by the rest of the machine: a busy neighbour skews the row.
                "other_cpu_s": cpu["other_cpu_s"],
            }
        )
        print(sweep_line(rows[-1]), flush=True)
    return rows


def sweep_line(row: dict) -> str:
    return (
        f"{row['config']:<28} {row['actions_per_s']:>5.1f} actions/s "
        f"{row['ceiling_per_s']:>5.0f} health/s  ratio {row['ratio']:.2f}  "
        f"p50/p95 {row['p50_ms']:.0f}/{row['p95_ms']:.0f} ms  "
        f"gunicorn {row['gunicorn_cpu_per_action_ms']:.0f} ms CPU/action  "
        f"errors {row['errors']}  other CPU {row['other_cpu_s']:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, help="default 60 (15 with --sweep)")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=DEFAULT_CONFIG.workers)
    parser.add_argument("--threads", type=int, default=DEFAULT_CONFIG.threads)
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--quick", action="store_true", help="10 annotators x 10 s")
    parser.add_argument("--sweep", action="store_true", help="compare worker settings")
    parser.add_argument("--json", type=Path, help="default var/bench/load.json")
    args = parser.parse_args()
    if args.quick:
        args.annotators, args.seconds = 10, 10
    if args.sweep:
        figures = {"sweep": sweep(args.annotators, args.seconds or 15)}
    else:
        figures = run_load(
            annotators=args.annotators,
            seconds=args.seconds or 60,
            servers=args.servers,
            workers=args.workers,
            threads=args.threads,
            documents=args.documents,
        )
        print(figures["table"])
    out = args.json or Path(settings.VAR_DIR) / "bench" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
