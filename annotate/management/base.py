"""The base of newsapp's management commands: they refuse to run on a database that
`migrate` has not set up, with one line saying what to do, instead of the traceback of
the first query that meets a missing table."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

NOT_SET_UP = "the database is not set up: run make run (or manage.py migrate)"


class DatabaseCommand(BaseCommand):
    # Django's own check only prints a notice (to stdout, where it would land in the
    # JSONL an export writes there); this one fails before handle() runs.
    requires_migrations_checks = True

    def check_migrations(self) -> None:
        """Reads the migration graph from disk and django_migrations (one query):
        CommandError (exit status 1) when any migration is not applied."""
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not plan:
            return
        if not executor.loader.applied_migrations:
            raise CommandError(NOT_SET_UP)
        missing = f"{len(plan)} migration" + ("s" if len(plan) > 1 else "")
        raise CommandError(
            f"the database is not up to date ({missing} not applied): "
            "run manage.py migrate"
        )
