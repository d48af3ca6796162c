"""The browsable docs (/api/v1/docs): Swagger UI from our own static files, started by
a static script (static/js/api-docs.js) rather than the inline one of django-ninja's
CDN template, so the page keeps the site's strict Content Security Policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class StaticSwagger(DocsBase):
    template = "api/docs.html"

    def render_page(
        self, request: HttpRequest, api: Any, **kwargs: Any
    ) -> HttpResponse:
        context = {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, context)
