"""The statement timeout of web requests (settings.REQUEST_STATEMENT_TIMEOUT_MS).

Each request sets PostgreSQL's statement_timeout on its connection before anything
else queries (the session, the login), so a request whose SQL runs too long is
stopped by the database and its transaction rolled back. The user is told what took
too long, in the flash line (htmx), on a page, or as JSON under /api/; never a
traceback. Background tasks run in db_worker, whose connections this never touches.

A deadlock that PostgreSQL broke by rolling this request back (two changes locking
the same rows in opposite orders) is answered the same way, as a conflict to retry.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from psycopg.errors import DeadlockDetected, QueryCanceled

from annotate.views.errors import API_PATH
from annotate.views.htmx import HtmxHttpRequest, flash_error


def took_too_long() -> str:
    seconds = settings.REQUEST_STATEMENT_TIMEOUT_MS / 1000
    return (
        f"This took longer than {seconds:g} seconds and was stopped; nothing of it "
        "was saved. Try again, or with less at once (the server is busy or the work "
        "is too big for one request)."
    )


DEADLOCK = (
    "This change met another one being saved at the same moment and was stopped; "
    "nothing of it was saved. Try it again."
)


def is_deadlock(error: BaseException) -> bool:
    return isinstance(error, DatabaseError) and isinstance(
        error.__cause__, DeadlockDetected
    )


def is_statement_timeout(error: BaseException) -> bool:
    return isinstance(error, DatabaseError) and isinstance(
        error.__cause__, QueryCanceled
    )


class StatementTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HtmxHttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        # Set on every request (a pooled connection may come from anywhere) and reset
        # after it, so nothing else run in this process inherits the bound. Sent on
        # the driver's connection: set-up, like the pool's check, not the view's SQL.
        _set_timeout(settings.REQUEST_STATEMENT_TIMEOUT_MS)
        try:
            return self.get_response(request)
        finally:
            with suppress(psycopg.Error):  # a broken connection is the pool's to drop
                _set_timeout(None)

    def process_exception(
        self, request: HtmxHttpRequest, error: Exception
    ) -> HttpResponse | None:
        if is_statement_timeout(error):
            message, status = took_too_long(), 503
        elif is_deadlock(error):
            message, status = DEADLOCK, 409
        else:
            return None
        if request.path_info.startswith(API_PATH):
            return JsonResponse({"message": message}, status=status)
        # flash_error renders only templates: no query, so it works in any state.
        return flash_error(request, message, status=status)


def _set_timeout(milliseconds: int | None) -> None:
    if milliseconds is None:
        if connection.connection is not None:
            connection.connection.execute("RESET statement_timeout")
        return
    connection.ensure_connection()
    connection.connection.execute(
        "SELECT set_config('statement_timeout', %s, false)", [str(milliseconds)]
    )
