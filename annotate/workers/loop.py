"""The task worker around django-tasks-db's: the same loop, plus

- a reaper thread that retries or fails runs whose worker died (reaper.py), every
  settings.TASK_REAP_SECONDS;
- a database outage is ridden out: the loop's OperationalError or pool timeout is caught,
  the database is asked again with a growing pause (1 s, 2 s, 4 s... at most
  OUTAGE_MAX_PAUSE), and the loop goes on. One warning when the outage starts, one when
  it ends;
- supervise(): a parent that restarts the worker process whenever it exits.

The heartbeat itself is kept by the task functions (Run.beating()), so it works under a
plain `db_worker` too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import subprocess
import sys
import threading
import time

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections
from django_tasks_db.management.commands.db_worker import Worker as DBWorker

from annotate.workers.reaper import reap_stale_runs

logger = logging.getLogger("annotate.workers")

OUTAGE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)
OUTAGE_MAX_PAUSE = 10.0
# The supervisor's pause before a restart grows like the outage's, and starts over once
# a worker has run this long.
HEALTHY_RUN_SECONDS = 60.0
PR_SET_PDEATHSIG = 1


class Worker(DBWorker):
    """db_worker's Worker that reaps stale runs and survives database outages."""

    def run(self) -> None:
        reaper = threading.Thread(target=self._reap_periodically, daemon=True)
        reaper.start()
        while True:
            try:
                super().run()
                return
            except OUTAGE_ERRORS as error:
                self._wait_for_database(error)
                self.startup_delay = False

    def _wait_for_database(self, error: BaseException) -> None:
        started, pause = time.monotonic(), 1.0
        logger.warning(
            "task worker: the database is unavailable (%s); reconnecting",
            _first_line(error),
        )
        while not database_answers():
            time.sleep(pause)
            pause = min(pause * 2, OUTAGE_MAX_PAUSE)
        logger.warning(
            "task worker: the database is back after %.0f s",
            time.monotonic() - started,
        )

    def _reap_periodically(self) -> None:
        every = settings.TASK_REAP_SECONDS
        while True:
            try:
                for run in reap_stale_runs():
                    logger.info("reaped %s: %s", run, run.status)
            except OUTAGE_ERRORS:
                pass  # the main loop reports the outage
            except Exception:
                logger.exception("task worker: the reaper failed")
            finally:
                connections.close_all()
            time.sleep(every)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except OUTAGE_ERRORS:
        connection.close()
        return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def supervise(command: list[str]) -> int:
    """Run `command` (the worker) and start it again whenever it exits, until this
    process is told to stop (SIGTERM, SIGINT), which it passes on. Returns 0."""
    stopping = threading.Event()
    child: subprocess.Popen | None = None

    def stop(signum, _frame):
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    pause = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        child = subprocess.Popen(command, preexec_fn=_die_with_parent)
        code = child.wait()
        if stopping.is_set():
            break
        if time.monotonic() - started > HEALTHY_RUN_SECONDS:
            pause = 1.0
        logger.warning(
            "task worker: exited with status %s; starting it again in %.0f s",
            code,
            pause,
        )
        stopping.wait(pause)
        pause = min(pause * 2, OUTAGE_MAX_PAUSE * 3)
    if child is not None:
        child.wait()
    return 0


def _die_with_parent() -> None:
    """In the child, on Linux: SIGTERM when the supervisor dies (even by kill -9), so
    no orphaned worker outlives it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def worker_command(argv: list[str]) -> list[str]:
    """The command line of the supervised worker: this one without --supervise."""
    manage = str(settings.BASE_DIR / "manage.py")
    rest = [arg for arg in argv if arg != "--supervise"]
    return [sys.executable, manage, "run_worker", *rest]
