"""Response headers the settings alone do not give.

PrivateCacheMiddleware: every response to a signed-in user (pages, htmx fragments,
downloads) and every API response says `Cache-Control: private, no-store`, so no
shared proxy or browser cache keeps someone's work after they leave. Anonymous pages
are left as they are; static files never pass through it (WhiteNoise answers first).

static_headers: the security headers pages get from Django's middleware, for the static
files WhiteNoise serves (WHITENOISE_ADD_HEADERS_FUNCTION).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PRIVATE = "private, no-store"
API_PREFIX = "/api/"
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # A static file is never a page: nothing in it may load or run anything.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}


class PrivateCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # The API authenticates tokens inside its views, after the middleware ran.
        if request.path.startswith(API_PREFIX) or (user and user.is_authenticated):
            response["Cache-Control"] = PRIVATE
            del response["Expires"]
        return response


def static_headers(headers, path: str, url: str) -> None:
    for name, value in STATIC_HEADERS.items():
        headers[name] = value
