"""manage.py run_worker: django-tasks-db's db_worker (same options) that also retries or
fails runs whose worker died, rides out a database outage instead of exiting, and with
--supervise runs the worker as a child process restarted whenever it dies (make run)."""

from __future__ import annotations

import sys

from django_tasks_db.management.commands import db_worker

from annotate.management.base import DatabaseCommand
from annotate.workers import loop


class Command(db_worker.Command, DatabaseCommand):
    help = (
        "Run the background task worker (imports, exports, statistics, webhooks): "
        "db_worker plus the reaper of runs whose worker died, reconnection after a "
        "database outage, and --supervise to restart it whenever it exits."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--supervise",
            action="store_true",
            help="Run the worker as a child process and start it again whenever it exits.",
        )

    def handle(self, *args, supervise: bool = False, **options) -> None:
        if supervise:
            self.configure_logging(options["verbosity"])
            sys.exit(loop.supervise(loop.worker_command(sys.argv[2:])))
        # db_worker builds its Worker in handle(): let it build ours.
        original, db_worker.Worker = db_worker.Worker, loop.Worker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
