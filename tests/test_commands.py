"""Every management command, run on a database `migrate` never ran on, says what to
do in one line and exits 1; no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import get_commands, load_command_class
from django.db import connection

from annotate.management.base import NOT_SET_UP, DatabaseCommand

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(
    path.stem
    for path in (ROOT / "annotate" / "management" / "commands").glob("*.py")
    if path.stem != "__init__"
)


@pytest.fixture(scope="module")
def unmigrated_database(django_db_setup, django_db_blocker):
    """An empty database beside the test database; its URL. The commands refuse it
    before writing anything, so it is kept for the next run, like the test database
    (--reuse-db), and made again only if it holds a table: dropping a database forces
    a checkpoint, which in the middle of a run writes out every test's changes."""
    with django_db_blocker.unblock():
        settings = connection.settings_dict
    name = f"{settings['NAME']}_unmigrated"
    url = (
        f"postgresql://{quote(settings['USER'])}:{quote(settings['PASSWORD'] or '')}@/"
        f"{quote(name)}?host={quote(settings['HOST'] or 'localhost')}"
        f"&port={settings['PORT'] or 5432}"
    )
    try:
        with psycopg.connect(url) as database:
            empty = not database.execute(
                "SELECT 1 FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
    except psycopg.OperationalError:  # not made yet
        empty = False
    if not empty:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    return url


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_documents_on_an_unmigrated_database_says_to_migrate(
    unmigrated_database, tmp_path
):
    articles = tmp_path / "articles.jsonl"
    articles.write_text('{"text": "Sergey Lavrov arrived in Bamako."}\n')
    result = manage(
        unmigrated_database, "import_documents", str(articles), "--project", "x"
    )
    assert result.returncode == 1
    assert (
        NOT_SET_UP == "the database is not set up: run make run (or manage.py migrate)"
    )
    assert NOT_SET_UP in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


OTHER_COMMANDS = {
    "export_annotations": ["export_annotations", "--project", "x", "--format", "spans"],
    "compute_stories": ["compute_stories", "--project", "x"],
    "import_source_ratings": ["import_source_ratings", "README.md"],
    "load_demo": ["load_demo"],
}


@pytest.fixture(scope="module")
def other_commands_answers(unmigrated_database) -> dict[str, dict]:
    """Each of OTHER_COMMANDS run as manage.py runs it, all in one process."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.manage_each", json.dumps(list(OTHER_COMMANDS.values()))],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": unmigrated_database},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(zip(OTHER_COMMANDS, json.loads(result.stdout), strict=True))


@pytest.mark.parametrize("name", OTHER_COMMANDS)
def test_every_other_command_says_the_same(other_commands_answers, name):
    answer = other_commands_answers[name]
    assert answer["status"] == 1
    assert NOT_SET_UP in answer["stderr"]
    assert "Traceback" not in answer["stdout"] + answer["stderr"]
    # Nothing on stdout, where an export writes its JSONL.
    assert answer["stdout"] == ""


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_checks_the_database_first(name):
    assert get_commands()[name] == "annotate"
    assert isinstance(load_command_class("annotate", name), DatabaseCommand)
