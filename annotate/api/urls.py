"""The API's routes, mounted at /api/v1/ by newsapp/urls.py."""

from __future__ import annotations

import functools

from django.http import HttpRequest, JsonResponse
from django.urls import re_path

from annotate.api import (
    annotations,
    documents,
    exports,
    predictions,
    projects,
    webhooks,
)
from annotate.api.core import api

for module in (projects, documents, annotations, predictions, exports, webhooks):
    api.add_router("/projects/", module.router)


def _json_405(view):
    """The view, with a wrong method answered in JSON like every other error."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get(
            "Content-Type", ""
        ).startswith("application/json"):
            allowed = response.get("Allow", "")
            answer = JsonResponse(
                {"message": f"{request.method} is not allowed here; use {allowed}."},
                status=405,
            )
            answer["Allow"] = allowed
            return answer
        return response

    return wrapped


def _not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(
        {"message": "No such API path; the API is described at /api/v1/openapi.json."},
        status=404,
    )


def _patterns():
    """The API's URL patterns; the API answers anonymous requests itself (401 JSON,
    not the login page's redirect), so none needs LoginRequiredMiddleware."""
    patterns, app_name, namespace = api.urls
    patterns = [*patterns, re_path(r"^(?P<rest>.*)$", _not_found, name="not-found")]
    for pattern in patterns:
        pattern.callback = _json_405(pattern.callback)
        pattern.callback.login_required = False
    return patterns, app_name, namespace


urls = _patterns()
