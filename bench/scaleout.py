"""Scale-out: two gunicorns on two ports and two task workers (`manage.py db_worker`)
on one PostgreSQL, under bench/load.py's annotators, each of whom sends every other
request to the other server (one session cookie: sessions must hold across servers).
Meanwhile a reviewer prepares exports through the web ("Prepare file" on the export
page) and watches them as the page does, until each is done.

    python bench/scaleout.py [--seconds 60] [--annotators 50] [--exports 4] [--json FILE]

Checks: no document over-assigned, no lost or duplicated write, no session trouble
(no redirect to /login/, no 403), every export finished exactly once (one task
result, claimed by one worker) and every task queued during the run finished.
Results go to var/bench/scaleout.json unless --json says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from datetime import datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")

import django  # noqa: E402
import httpx  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.tasks import TaskResultStatus  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from annotate.exports.stored import export_task  # noqa: E402
from annotate.models import ExportRun  # noqa: E402
from bench.load import DEFAULT_CONFIG, SLUG, Fixture, new_client, run_load  # noqa: E402

# Formats a reviewer might prepare, taken in turn: the documents one writes ~15 MB.
FORMATS = ("spans", "stance", "reliability", "documents")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RUN_STATUS = re.compile(r'<span class="status (\w+)">')
EXPORT_GRACE_S = 120  # how long an export may take after the annotators stop
POLL_S = 1.0  # as the export page's hx-trigger="every 1s"


class Reviewer:
    """The reviewer's browser: one session, requests alternating between servers."""

    def __init__(self, bases: list[str], fixture: Fixture) -> None:
        self.client = new_client(fixture.reviewer_session)
        self.bases = bases
        self.turn = 0
        self.answers: dict[str, int] = {}  # "status" or "redirect to login" -> count

    async def get(self, path: str, **options) -> httpx.Response | None:
        return await self.send("GET", path, **options)

    async def send(self, method: str, path: str, **options) -> httpx.Response | None:
        """The answer, counted by status; None (counted too) when the request failed."""
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        try:
            answer = await self.client.request(method, base + path, **options)
        except httpx.HTTPError as error:
            key, answer = type(error).__name__, None
        else:
            location = answer.headers.get("location", "")
            key = (
                "redirect to login"
                if "/login/" in location
                else str(answer.status_code)
            )
        self.answers[key] = self.answers.get(key, 0) + 1
        return answer

    async def prepare(self, export_format: str) -> int | None:
        """Open the export page and press "Prepare file"; the new run's id."""
        page = await self.get(f"/p/{SLUG}/export/")
        token = CSRF_FIELD.search(page.text) if page else None
        if token is None:
            return None
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "format": export_format,
            "selection": "",
            "split": "",
            "split_by": "story",
            "seed": "0",
        }
        answer = await self.send("POST", f"/p/{SLUG}/export/", data=form)
        location = answer.headers.get("location", "") if answer else ""
        found = re.search(r"/export/(\d+)/$", location)
        return int(found.group(1)) if found else None

    async def watch(self, run: int, until: float) -> str:
        """Poll the run's status block as the page does, until done, failed or `until`."""
        status = "unknown"
        while time.monotonic() < until:
            answer = await self.get(
                f"/p/{SLUG}/export/{run}/", headers={"HX-Request": "true"}
            )
            if answer is None:  # a failed poll: the page polls again a second later
                await asyncio.sleep(POLL_S)
                continue
            found = RUN_STATUS.search(answer.text)
            status = found.group(1) if found else f"HTTP {answer.status_code}"
            if status in ("done", "failed") or not found:
                return status
            await asyncio.sleep(POLL_S)
        return status


async def exports_during(
    bases: list[str], fixture: Fixture, deadline: float, *, count: int
) -> dict:
    """Start `count` exports spread over the run, each watched until it ends."""
    reviewer = Reviewer(bases, fixture)
    runs, watchers = [], []
    step = max(0.0, deadline - time.monotonic()) / (count + 1)
    try:
        for n in range(count):
            await asyncio.sleep(step)
            run = await reviewer.prepare(FORMATS[n % len(FORMATS)])
            runs.append(run)
            if run is not None:
                until = deadline + EXPORT_GRACE_S
                watchers.append(asyncio.create_task(reviewer.watch(run, until)))
        seen = await asyncio.gather(*watchers)
    finally:
        await reviewer.client.aclose()
    started = [run for run in runs if run is not None]
    return {
        "started": started,
        "refused": runs.count(None),
        "seen_status": dict(zip(map(str, started), seen, strict=True)),
        "reviewer_answers": reviewer.answers,
    }


def export_checks(runs: list[int], since: datetime) -> dict:
    """Each export's run and task result; every task queued since `since` finished."""
    results = list(DBTaskResult.objects.filter(enqueued_at__gte=since))
    exports = [
        export_check(run, [r for r in results if r.args_kwargs["args"] == [run]])
        for run in runs
    ]
    ours = [r for r in results if r.task_path == export_task.module_path]
    waiting = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    unfinished = [r for r in results if r.status in waiting]
    return {
        "exports": exports,
        "exports_finished_once": sum(1 for e in exports if e["finished_once"]),
        "tasks_queued": len(results),
        "export_tasks_queued": len(ours),
        "tasks_unfinished": len(unfinished),
        "tasks_failed": sum(1 for r in results if r.status == TaskResultStatus.FAILED),
        "tasks_by_worker": count_by_worker(results),
    }


def export_check(run_id: int, results: list) -> dict:
    run = ExportRun.objects.get(pk=run_id)
    workers = [worker for result in results for worker in result.worker_ids]
    finished_once = (
        run.status == ExportRun.Status.DONE
        and len(results) == 1
        and results[0].status == TaskResultStatus.SUCCESSFUL
        and len(workers) == 1
    )
    took = (
        (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    )
    return {
        "run": run_id,
        "format": run.format,
        "status": run.status,
        "lines": run.lines,
        "expected_lines": run.options.get("expected_lines"),
        "seconds": round(took, 1) if took is not None else None,
        "task_results": len(results),
        "workers": workers,
        "finished_once": finished_once,
        "error": run.error[:300],
    }


def count_by_worker(results: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        for worker in result.worker_ids:
            counts[worker] = counts.get(worker, 0) + 1
    return counts


def session_trouble(report: dict) -> int:
    """Redirects to the login page and 403s, the annotators' and the reviewer's."""
    trouble = sum(
        count
        for key, count in report["errors_by_kind"].items()
        if key.endswith((" redirect to login", " 403"))
    )
    answers = report["background"]["reviewer_answers"]
    return trouble + answers.get("redirect to login", 0) + answers.get("403", 0)


def run_scaleout(
    *,
    annotators: int = 50,
    seconds: float = 60,
    exports: int = 4,
    workers: int = DEFAULT_CONFIG.workers,
    threads: int = DEFAULT_CONFIG.threads,
) -> dict:
    since = timezone.now()
    report = run_load(
        annotators=annotators,
        seconds=seconds,
        servers=2,
        workers=workers,
        threads=threads,
        task_workers=2,
        background=partial(exports_during, count=exports),
    )
    report["tasks"] = export_checks(report["background"]["started"], since)
    report["session_trouble"] = session_trouble(report)
    report["table"] += "\n" + export_table(report)
    return report


def export_table(report: dict) -> str:
    tasks = report["tasks"]
    lines = [
        f"requests per server: {report['requests_per_server']}",
        f"{'export':>7} {'format':<12} {'status':<8} {'lines':>7} {'expected':>8} "
        f"{'seconds':>7} {'results':>7}  worker",
    ]
    for e in tasks["exports"]:
        lines.append(
            f"{e['run']:>7} {e['format']:<12} {e['status']:<8} {e['lines']:>7} "
            f"{e['expected_lines'] or 0:>8} {e['seconds'] or 0:>7.1f} "
            f"{e['task_results']:>7}  {', '.join(e['workers']) or '-'}"
        )
    background = report["background"]
    lines += [
        f"exports started {len(background['started'])} (refused {background['refused']}), "
        f"finished exactly once {tasks['exports_finished_once']}; tasks queued "
        f"{tasks['tasks_queued']}, unfinished {tasks['tasks_unfinished']}, failed "
        f"{tasks['tasks_failed']}; by worker {tasks['tasks_by_worker']}",
        f"reviewer answers {background['reviewer_answers']}; session trouble "
        f"(login redirects, 403s) {report['session_trouble']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--exports", type=int, default=4)
    parser.add_argument("--workers", type=int, default=DEFAULT_CONFIG.workers)
    parser.add_argument("--threads", type=int, default=DEFAULT_CONFIG.threads)
    parser.add_argument("--json", type=Path, help="default var/bench/scaleout.json")
    args = parser.parse_args()
    report = run_scaleout(
        annotators=args.annotators,
        seconds=args.seconds,
        exports=args.exports,
        workers=args.workers,
        threads=args.threads,
    )
    print(report["table"])
    out = args.json or Path(settings.VAR_DIR) / "bench" / "scaleout.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
