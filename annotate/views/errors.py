"""Error answers Django leaves bare, given the app's page (templates/*.html give the
rest: 400, 403, 404, 500 and the CSRF failure).

- A NUL character anywhere in the query string is refused up front with a 400 that
  says so: PostgreSQL cannot compare text holding one, so any search or filter that
  passed it on would fail with a 500.
- The @require_GET/@require_POST decorators answer 405 with an empty body; it becomes
  the 405 page (or, for htmx, the flash line).

The REST API (under API_PATH) answers its own errors, as JSON: it is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import render

from annotate.views.htmx import HtmxHttpRequest, flash_error

API_PATH = "/api/"
NUL_REFUSED = (
    "A search or filter in the address holds a NUL character (%00), which no search "
    "can use: remove it and try again."
)


class ErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HtmxHttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(API_PATH):
            return response
        if response.status_code == 405 and not response.content:
            return _not_allowed(request, response)
        return response

    def process_view(self, request: HtmxHttpRequest, *args) -> HttpResponse | None:
        # Here, after the login check: an anonymous request is sent to log in first.
        if not request.path_info.startswith(API_PATH) and _holds_nul(request):
            return flash_error(request, NUL_REFUSED, status=400)
        return None


def _holds_nul(request: HtmxHttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def _not_allowed(request: HtmxHttpRequest, bare: HttpResponse) -> HttpResponse:
    allowed = bare.get("Allow", "")
    if request.htmx:
        response = flash_error(
            request, f"This action takes {allowed} requests only.", status=405
        )
    else:
        context = {"allowed": " and ".join(allowed.split(", "))}
        response = render(request, "405.html", context, status=405)
    response["Allow"] = allowed
    return response
