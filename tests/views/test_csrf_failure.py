"""A post whose CSRF token is stale (a new login in another tab): refused with a message
of ours, never Django's own page, whose inline <style> the CSP blocks."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Assignment, Span
from annotate.views.htmx import STALE_PAGE
from tests.conftest import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_client(annotator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    return client


@pytest.fixture
def span_url(project, annotator):
    assignment = Assignment.objects.create(
        document=make_document(project), annotator=annotator
    )
    return reverse("annotate:span-create", args=[project.slug, assignment.pk])


FORM = {"start": 0, "end": 6, "text": "Sergey", "label": 1, "version": 1}


def test_it_answers_htmx_with_the_flash_line(stale_client, span_url):
    response = stale_client.post(
        span_url, FORM, headers={"HX-Request": "true", "X-CSRFToken": "x" * 32}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "<html" not in body and 'id="flash"' in body and STALE_PAGE in body
    assert response.headers["HX-Retarget"] == "#flash"
    assert not Span.objects.exists()


def test_it_answers_a_plain_post_with_a_page_without_inline_style(
    stale_client, span_url
):
    response = stale_client.post(span_url, {**FORM, "csrfmiddlewaretoken": "x" * 32})
    assert response.status_code == 403
    body = response.content.decode()
    assert "<html" in body and "The form had expired" in body and "Reload" in body
    assert "<style" not in body and "style=" not in body
    assert not Span.objects.exists()
