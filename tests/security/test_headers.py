"""Headers (issue 19, item 5): nothing a signed-in user receives may be kept by a
cache, and static files carry the security headers pages have."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import ApiToken

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"


def test_a_signed_in_page_is_private_and_not_stored(manager_client, project):
    for url in ("/", reverse("annotate:import", args=[project.slug])):
        response = manager_client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == PRIVATE, url


def test_an_htmx_fragment_is_private_and_not_stored(manager_client):
    response = manager_client.get(
        reverse("annotate:source-list"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert response["Cache-Control"] == PRIVATE


def test_a_streamed_download_is_private_and_not_stored(manager_client, annotated):
    response = manager_client.post(
        reverse("annotate:export-stream", args=[annotated.slug]),
        {"format": "documents", "selection": "all", "split_by": "story", "seed": 0},
    )
    assert response.status_code == 200 and response.streaming
    assert response["Cache-Control"] == PRIVATE


def test_an_api_answer_by_token_is_private_and_not_stored(manager, project):
    _row, token = ApiToken.objects.issue(user=manager, name="test")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    response = client.get("/api/v1/projects/")
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE
    # Refused ones too: an error can name what it refused.
    assert Client().get("/api/v1/projects/")["Cache-Control"] == PRIVATE


def test_an_anonymous_page_is_left_alone(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response.get("Cache-Control") != PRIVATE


def test_static_files_carry_the_security_headers_and_stay_cacheable(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/annotate.js")  # a new client: a new WhiteNoise
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "no-store" not in response.get("Cache-Control", "")
