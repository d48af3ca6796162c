"""The check the psycopg pool runs on a connection before handing it out."""

from __future__ import annotations

from psycopg import Connection
from psycopg_pool import ConnectionPool


def check_connection(connection: Connection) -> None:
    """ConnectionPool.check_connection, plus: when a connection is found dead, test all
    the idle ones at once. A dead connection means the server restarted or ended the
    backends, so its idle neighbours died too; found one at a time, each would cost
    the waiting request a back-off delay (1 s, 2 s, 4 s...) and a full pool of them
    would outlast its timeout and answer 500 instead of recovering."""
    try:
        ConnectionPool.check_connection(connection)
    except Exception:
        from django.db import connections

        connections["default"].pool.check()
        raise
