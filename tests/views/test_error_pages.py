"""Every error page (400, 403, 404, 405, 500 and a CSRF failure) is a page of the app
that says what to do next, and shows nothing of what went wrong inside, with DEBUG off."""

from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from tests.views.error_urls import SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.views.error_urls")]


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def assert_app_page(response, status: int, *phrases: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<header class="topbar">' in body and "<main>" in body
    assert 'href="/"' in body  # the way back to the projects
    for phrase in phrases:
        assert phrase in body
    for leak in ("Traceback", SECRET, "RuntimeError", 'File "'):
        assert leak not in body
    return body


def test_a_missing_page_says_no_such_project_and_leads_back(manager_client):
    response = manager_client.get("/p/no-such-project/")
    assert_app_page(
        response, 404, "No such project or document", "Back to your projects"
    )


def test_an_outsider_gets_the_same_404_as_for_a_project_that_does_not_exist(
    outsider_client, project
):
    response = outsider_client.get(
        reverse("annotate:document-list", args=[project.slug])
    )
    assert_app_page(response, 404, "not shared with you")


def test_a_role_too_low_says_which_role_and_whom_to_ask(annotator_client, project):
    response = annotator_client.get(reverse("annotate:export", args=[project.slug]))
    assert_app_page(
        response,
        403,
        f"This needs the reviewer role in {project.name}.",
        "ask one of them",
    )


def test_a_csrf_failure_says_to_reload_and_try_again(manager, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("annotate:export", args=[project.slug]), {})
    assert_app_page(response, 403, "The form had expired", "Reload the page")


def test_a_suspicious_request_is_a_400_page(manager_client):
    response = manager_client.get("/test-suspicious/")
    assert_app_page(response, 400, "That request could not be read", "Go back")


def test_a_request_for_an_unknown_host_is_a_400_page(client, settings):
    settings.ALLOWED_HOSTS = ["newsapp.example"]
    response = client.get("/", HTTP_HOST="evil.example")
    assert_app_page(response, 400, "That request could not be read")


def test_the_wrong_method_is_a_405_page_that_keeps_allow(manager_client, project):
    response = manager_client.get(
        reverse("annotate:export-stream", args=[project.slug])
    )
    assert_app_page(response, 405, "It answers POST requests, not GET")
    assert response["Allow"] == "POST"


def test_the_wrong_method_over_htmx_is_a_flash_line(manager_client, project):
    response = manager_client.get(
        reverse("annotate:export-stream", args=[project.slug]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 405
    assert response.content.decode().startswith('<p id="flash" class="flash error"')


def test_a_view_that_fails_gives_the_500_page(manager_client):
    manager_client.raise_request_exception = False
    response = manager_client.get("/test-broken/")
    assert_app_page(
        response, 500, "Something went wrong on our side", "tell the administrator"
    )


def test_the_500_page_renders_without_a_request_or_the_database(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        body = get_template("500.html").render()
    assert "Something went wrong on our side" in body


def test_a_refused_form_without_htmx_is_a_page_of_the_app(manager_client, project):
    response = manager_client.get(
        reverse("annotate:review-queue", args=[project.slug]), {"state": "nonsense"}
    )
    assert_app_page(response, 400, "That was not done", "state: Select a valid choice")
