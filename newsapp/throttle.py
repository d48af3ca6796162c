"""Login throttling against password guessing.

After LOGIN_THROTTLE_USER_FAILURES failed logins for one username, or
LOGIN_THROTTLE_IP_FAILURES from one client address, within LOGIN_THROTTLE_WINDOW
seconds, every further attempt for it is refused until the window has passed, even
with the right password (so a locked account reveals nothing to a guesser).

The counts live in PostgreSQL (the "throttle" cache, Django's database cache backend):
app servers are several and a per-process memory would let each one be guessed at.
The authentication backend refuses, so every login form (the site's and the admin's)
is covered; the login view adds the message a person can read.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

CACHE = "throttle"


def refusal_message() -> str:
    minutes = max(1, settings.LOGIN_THROTTLE_WINDOW // 60)
    return (
        "Too many failed logins for this account or from this address. "
        f"Logging in is refused for up to {minutes} minutes; try again later."
    )


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the last hop it appended
    to the header named by LOGIN_THROTTLE_CLIENT_IP_HEADER (e.g. HTTP_X_FORWARDED_FOR)."""
    header = settings.LOGIN_THROTTLE_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.casefold().encode("utf-8", "surrogatepass"))
    return f"login-failures:{kind}:{digest.hexdigest()}"


def _counters(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    """(cache key, limit) for the username and for the client address."""
    return [
        (_key("user", username), settings.LOGIN_THROTTLE_USER_FAILURES),
        (_key("ip", client_address(request)), settings.LOGIN_THROTTLE_IP_FAILURES),
    ]


def _cache_call(method: str, *args):
    """A call on the throttle cache; creates its table once if a deployment skipped
    `manage.py createcachetable`, rather than failing every login."""
    cache = caches[CACHE]
    try:
        return getattr(cache, method)(*args)
    except DatabaseError:
        call_command("createcachetable", verbosity=0)
        return getattr(cache, method)(*args)


def is_locked(request: HttpRequest, username: str) -> bool:
    counts = _cache_call("get_many", [key for key, _ in _counters(request, username)])
    return any(
        counts.get(key, 0) >= limit for key, limit in _counters(request, username)
    )


def record_failure(request: HttpRequest, username: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW
    for key, _ in _counters(request, username):
        # add() starts the window at the first failure; incr() keeps its expiry.
        if not _cache_call("add", key, 1, window):
            try:
                _cache_call("incr", key)
            except ValueError:  # expired between add and incr
                _cache_call("add", key, 1, window)


def clear_user(request: HttpRequest, username: str) -> None:
    _cache_call("delete", _key("user", username))


class ThrottledModelBackend(ModelBackend):
    """ModelBackend that refuses while a username or address is locked, and counts
    failures. Refusing raises PermissionDenied, which stops every other backend too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # a shell or a command, not a login form
            return super().authenticate(request, username, password, **kwargs)
        name = username or kwargs.get("email") or ""
        if is_locked(request, name):
            raise PermissionDenied(refusal_message())
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            record_failure(request, name)
        else:
            clear_user(request, name)
        return user


class ThrottledLoginView(LoginView):
    """The login page; a locked username or address is told so, with status 429."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        if is_locked(request, username):
            messages.error(request, refusal_message())
            form = self.get_form_class()(request)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)
