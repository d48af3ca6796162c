"""The project's URLs and two views that fail, for the error-page tests."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from newsapp.urls import urlpatterns as project_urlpatterns

SECRET = "do-not-show-this-internal-detail"


def broken(request):
    raise RuntimeError(SECRET)


def suspicious(request):
    raise SuspiciousOperation(SECRET)


urlpatterns = [
    path("test-broken/", broken),
    path("test-suspicious/", suspicious),
    *project_urlpatterns,
]
