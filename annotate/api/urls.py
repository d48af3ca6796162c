"""The API's routes, mounted at /api/v1/ by newsapp/urls.py."""

from __future__ import annotations

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


def _patterns():
    """The API's URL patterns; the API answers anonymous requests itself (401 JSON,
    not the login page's redirect), so none needs LoginRequiredMiddleware."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace


urls = _patterns()
