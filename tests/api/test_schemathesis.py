"""Schemathesis against the live OpenAPI description: for every operation, a bounded
number of generated requests (as a superuser, so access lets them through to the
checks), and none may answer 5xx or answer anything the description does not say:
an undocumented status, content type or header, or a body off its schema."""

from __future__ import annotations

import functools

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from annotate.models import ApiToken, Webhook
from tests.security.conftest import world as world  # noqa: F401  (the fixture)

EXAMPLES = 12
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def live_world(transactional_db, world, settings, live_server):
    """The security tests' world, behind a live server; deliveries and exports are
    queued but not run (a generated webhook URL must not be dialled)."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    world.hook = Webhook.objects.create(
        project=world.project,
        url="https://example.org/in",
        events=["gold.changed"],
        secret="x",
    )
    world.token = ApiToken.objects.issue(user=world.root, name="schemathesis")[1]
    return world


def known_ids(world, path: str) -> dict[str, object]:
    """Path parameters pointing at the world's objects, so requests reach past 404."""
    ids = {
        "slug": world.project.slug,
        "version_id": world.mine.pk,
        "span_id": world.my_span.pk,
    }
    if "/exports/" in path:
        ids["pk"] = world.export.pk
    elif "/imports/" in path:
        ids["pk"] = world.run.pk
    elif "/webhooks/" in path:
        ids["pk"] = world.hook.pk
    else:
        ids["pk"] = world.document.pk
    return ids


def exercise(operation, world) -> None:
    """EXAMPLES generated requests to one operation, each response checked."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case) -> None:
        if case.path_parameters:
            wanted = known_ids(world, case.path)
            for name in case.path_parameters:
                case.path_parameters[name] = wanted.get(
                    name, case.path_parameters[name]
                )
        case.call_and_validate(
            headers={"Authorization": f"Bearer {world.token}"}, checks=CHECKS
        )

    run()


def operation_names() -> list[str]:
    """Each operation of the API as "METHOD /path", read from the API itself at
    collection, so that each is a test of its own and the test processes share them."""
    import annotate.api.urls  # noqa: F401  (adds the routers to the API)
    from annotate.api.core import api

    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    return sorted(
        f"{method.upper()} {path}"
        for path, methods in paths.items()
        for method in methods
        if method in {"get", "put", "post", "patch", "delete"}
    )


OPERATIONS = operation_names()


@functools.cache
def live_operations(url: str) -> dict:
    """The operations of the description the live server at `url` serves, by name."""
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    return {f"{op.method.upper()} {op.path}": op for op in operations}


def test_every_described_operation_is_tried(live_server, transactional_db):
    assert len(OPERATIONS) > 30
    assert sorted(live_operations(live_server.url)) == OPERATIONS


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_api_answers_as_it_is_described(name, live_world, live_server):
    exercise(live_operations(live_server.url)[name], live_world)
