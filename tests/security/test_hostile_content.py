"""Hostile content in every field, rendered by every screen; CSP, CSRF and `check --deploy`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from annotate.ingest.readers import read_paths
from tests.conftest import make_document
from tests.security.conftest import all_routes, fill, ids_of
from tests.security.hostile import hostile_world, unsafe_markup
from tests.security.test_permission_matrix import (
    ADMIN_ROUTES,
    ALLOWED,
    APP_ROUTES,
    GET,
    POST,
    USER_OF,
    admin_object_id,
    rule_for,
)

REPO = Path(__file__).resolve().parents[2]


def app_get_urls(world, hostile) -> list[str]:
    ids = {
        **ids_of(world),  # the invitation and reset links' tokens
        "document": hostile.document.pk,
        "assignment": hostile.assignment.pk,
        "span": hostile.span.pk,
        "import-run": hostile.run.pk,
        "export-run": hostile.export.pk,
        "source": hostile.source.pk,
    }
    urls = []
    for route in APP_ROUTES:
        the_rule = rule_for(route.name)
        # A route missing from the matrix fails test_permission_matrix; skip it here.
        if the_rule is not None and GET in the_rule.methods:
            values = {key: ids[kind] for key, kind in the_rule.ids.items()}
            urls.append(fill(route, {"slug": world.project.slug, **values}))
    return urls


def bodies(client: Client, urls: list[str]):
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, f"GET {url}: {response.status_code}"
            if response.streaming:  # a download: read it, as the browser would
                response = HttpResponse(
                    b"".join(response.streaming_content),
                    status=response.status_code,
                    headers=dict(response.headers),
                )
            yield url, response


def test_it_escapes_hostile_content_on_every_screen(world):
    hostile = hostile_world(world)
    problems = []
    for username in ("man", "ann"):  # the manager sees most; the annotator edits
        client = Client()
        client.force_login(getattr(world, username))
        for url, response in bodies(client, app_get_urls(world, hostile)):
            found = unsafe_markup(response.content.decode(errors="replace"))
            problems += [f"GET {url} as {username}: {item}" for item in found]
    assert not problems, "\n".join(problems)


def test_it_never_links_a_javascript_url_from_an_imported_document(world):
    document = make_document(
        world.project, text="A linked article.", url="javascript:alert(30)"
    )
    client = Client()
    client.force_login(world.ann)
    response = client.get(f"/p/{world.project.slug}/d/{document.pk}/")
    assert unsafe_markup(response.content.decode()) == []


def test_it_reads_a_javascript_url_as_text_only_through_the_importer(tmp_path):
    path = tmp_path / "links.jsonl"
    path.write_text('{"text": "An article.", "url": "javascript:alert(1)"}\n')
    [record] = read_paths([path])
    # Kept verbatim (nothing is lost); the screens must never make it a link.
    assert record.url == "javascript:alert(1)"


def test_it_escapes_hostile_content_in_the_admin(world):
    hostile_world(world)
    client = Client()
    client.force_login(world.root)
    problems = []
    for route in ADMIN_ROUTES:
        if "delete" in route.name or route.name.endswith("_add"):
            continue
        url = fill(
            route,
            {
                "object_id": admin_object_id(route, newest=True),
                "app_label": "annotate",
                "url": "x/",
                "content_type_id": 1,
                "id": world.ann.pk,
            },
        )
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if response.status_code == 200:
            found = unsafe_markup(response.content.decode(errors="replace"))
            problems += [f"GET {url}: {item}" for item in found]
    assert not problems, "\n".join(problems)


def test_it_never_renders_template_syntax_from_data(world):
    hostile = hostile_world(world)
    client = Client()
    client.force_login(world.man)
    for url, response in bodies(client, app_get_urls(world, hostile)):
        assert settings.SECRET_KEY not in response.content.decode(errors="replace"), url


def test_it_sends_the_content_security_policy_with_every_html_page(world):
    hostile = hostile_world(world)
    client = Client()
    client.force_login(world.man)
    missing = []
    for url, response in bodies(client, app_get_urls(world, hostile) + ["/login/"]):
        if response["Content-Type"].startswith("text/html"):
            policy = response.get("Content-Security-Policy", "")
            directives = dict(
                (part.strip().split(" ", 1) + [""])[:2]
                for part in policy.split(";")
                if part.strip()
            )
            script = directives.get("script-src", directives.get("default-src", ""))
            if (
                "'self'" not in script
                or "unsafe-inline" in script
                or ("unsafe-eval" in script)
            ):
                missing.append(f"{url}: {policy!r}")
    assert not missing, "\n".join(missing)


# CSRF


def state_changing_requests(world) -> list[tuple[str, str, dict]]:
    """(url, persona, data) for every POST route of the matrix, by an allowed persona."""
    ids = ids_of(world)
    requests = []
    for route in all_routes():
        the_rule = rule_for(route.name)
        if the_rule is None or POST not in the_rule.methods:
            continue
        if route.namespace == "admin" and route.name not in (
            "admin:login",
            "admin:annotate_project_changelist",
            "admin:annotate_assignment_changelist",
        ):
            continue  # the admin's forms share Django's one CSRF check
        persona = "superuser" if route.namespace == "admin" else None
        persona = persona or sorted(ALLOWED[the_rule.who] - {"anonymous"})[0]
        values = {key: ids[kind] for key, kind in the_rule.ids.items()}
        url = fill(route, {"slug": world.project.slug, **values})
        requests.append((url, persona))
    return requests


def csrf_client(world, persona: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(getattr(world, USER_OF[persona]))
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return client, token


def test_it_refuses_every_state_changing_request_without_the_csrf_token(world):
    accepted = []
    for url, persona in state_changing_requests(world):
        for headers in ({}, {"HX-Request": "true"}):
            client, _ = csrf_client(world, persona)
            response = client.post(url, {}, headers=headers)
            if response.status_code != 403:
                accepted.append(
                    f"POST {url} as {persona} {headers}: {response.status_code}"
                )
    assert not accepted, "\n".join(accepted)


def test_it_accepts_the_csrf_token_in_the_htmx_header(world):
    refused = []
    for url, persona in state_changing_requests(world):
        client, token = csrf_client(world, persona)
        response = client.post(
            url, {}, headers={"HX-Request": "true", "X-CSRFToken": token}
        )
        if response.status_code == 403 and b"CSRF" in response.content:
            refused.append(f"POST {url} as {persona}")
    assert not refused, "\n".join(refused)


def test_it_puts_the_csrf_token_where_htmx_sends_it(world):
    client = Client()
    client.force_login(world.ann)
    response = client.get(f"/p/{world.project.slug}/a/{world.mine.pk}/")
    assert b'hx-headers=\'{"X-CSRFToken": "' in response.content


# Production settings


def production_environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    env.update(
        HTTPS="1",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="news.example.org",
        CSRF_TRUSTED_ORIGINS="https://news.example.org",
        DJANGO_SETTINGS_MODULE="newsapp.settings",
    )
    return env


def test_it_passes_the_deploy_checks_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=REPO,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_turns_on_https_hardening_in_production():
    # The settings alone, as a process reads them (starting the apps costs seconds).
    script = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "False"], (
        result.stderr
    )
