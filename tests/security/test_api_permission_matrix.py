"""Every API route x every persona, against an explicit table of who may do what: an
anonymous caller gets 401, an outsider 404 (the project's existence is not revealed),
a member below the role 403; another annotator's version is a 404, as on the web.

Each request carries a valid body, so what decides is access, not validation. A new
route without an entry fails test_it_has_an_api_matrix_entry_for_every_route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from annotate.models import ApiToken, Webhook
from tests.security.conftest import PROJECT_MARKER, all_routes, fill

GET, POST, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"
PERSONAS = (
    "anonymous",
    "outsider",
    "annotator2",
    "annotator",
    "reviewer",
    "manager",
    "superuser",
)
USER_OF = {
    "outsider": "out",
    "annotator": "ann",
    "annotator2": "ann2",
    "reviewer": "rev",
    "manager": "man",
    "superuser": "root",
}
MEMBERS = {"annotator", "annotator2", "reviewer", "manager", "superuser"}
ALLOWED = {
    "nobody": set(),
    "public": set(PERSONAS),
    "login": set(PERSONAS) - {"anonymous"},
    "creator": {"superuser"},
    "annotator": MEMBERS,
    "owner": {"annotator"},
    "owner-or-reviewer": {"annotator", "reviewer", "manager", "superuser"},
    "reviewer": {"reviewer", "manager", "superuser"},
    "manager": {"manager", "superuser"},
}
# Refused with 403 when not a member of the project the rule is about.
NOT_PROJECT = {"creator"}


@dataclass(frozen=True)
class Rule:
    who: str
    method: str
    ids: dict[str, str] = field(default_factory=dict)
    body: object = None
    query: str = ""


def rule(who, method, body=None, query="", **ids) -> Rule:
    return Rule(who, method, ids, body, query)


DOC = {"pk": "document"}
VERSION = {"pk": "document", "version_id": "assignment"}
SPAN = {**VERSION, "span_id": "span"}
NDJSON = b'{"text": "A new article from the matrix."}\n'
MATRIX: dict[str, Rule] = {
    "api:openapi-json": rule("public", GET),
    "api:openapi-view": rule("public", GET),
    # Only a name to reverse the API's root by: nothing is served there.
    "api:api-root": rule("nobody", GET),
    "api:not-found": rule("nobody", GET),
    "api:list_projects": rule("login", GET),
    "api:create_project": rule("creator", POST, {"name": "Made by the matrix"}),
    "api:get_project": rule("annotator", GET),
    "api:create_documents": rule("manager", POST, NDJSON),
    "api:list_documents": rule("annotator", GET),
    "api:get_document": rule("annotator", GET, **DOC),
    "api:delete_document": rule("manager", DELETE, **DOC),
    "api:list_versions": rule("annotator", GET, **DOC),
    "api:get_version": rule("owner-or-reviewer", GET, **VERSION),
    "api:next_in_queue": rule("annotator", POST),
    "api:add_span": rule(
        "owner",
        POST,
        {"start": 0, "end": 6, "text": "Sergey", "label": "person"},
        **VERSION,
    ),
    "api:relabel_span": rule("owner", PATCH, {"label": "org"}, **SPAN),
    "api:delete_span": rule("owner", DELETE, **SPAN),
    "api:set_stance": rule(
        "owner", PUT, {"target": "target", "label": "favor"}, **VERSION
    ),
    "api:set_rating": rule(
        "owner", PUT, {"source": "AFP", "role": "cited", "label": "high"}, **VERSION
    ),
    "api:undo": rule("owner", POST, {}, **VERSION),
    "api:submit": rule("owner", POST, **VERSION),
    "api:review": rule("reviewer", POST, {"action": "accept"}, **VERSION),
    "api:build_gold": rule("reviewer", POST, {"agreed_by": 1}, **DOC),
    "api:list_predictions": rule("annotator", GET, **DOC),
    "api:put_predictions": rule(
        "manager", PUT, {"model_name": "m", "model_version": "1"}, **DOC
    ),
    "api:stream_export": rule("reviewer", GET, query="?format=documents"),
    "api:start_export_run": rule("reviewer", POST, {"format": "documents"}),
    "api:list_exports": rule("reviewer", GET),
    "api:get_export": rule("reviewer", GET, pk="export-run"),
    "api:download_export": rule("reviewer", GET, pk="export-run"),
    "api:list_imports": rule("manager", GET),
    "api:get_import": rule("manager", GET, pk="import-run"),
    "api:list_webhooks": rule("manager", GET),
    "api:create_webhook": rule(
        "manager", POST, {"url": "https://example.org/h", "events": ["gold.changed"]}
    ),
    "api:get_webhook": rule("manager", GET, pk="webhook"),
    "api:change_webhook": rule("manager", PATCH, {"active": False}, pk="webhook"),
    "api:delete_webhook": rule("manager", DELETE, pk="webhook"),
    "api:list_deliveries": rule("manager", GET, pk="webhook"),
}
# Routes whose allowed request removes what the next persona would ask for.
DESTRUCTIVE = {"api:delete_document", "api:delete_webhook", "api:delete_span"}

API_ROUTES = [route for route in all_routes() if route.namespace == "api"]


def ids(world) -> dict[str, int]:
    hook = Webhook.objects.create(
        project=world.project,
        url="https://example.org/in",
        events=["gold.changed"],
        secret="x",
    )
    return {
        "document": world.document.pk,
        "assignment": world.mine.pk,
        "span": world.my_span.pk,
        "import-run": world.run.pk,
        "export-run": world.export.pk,
        "webhook": hook.pk,
    }


def body_for(the_rule: Rule, world) -> tuple[bytes, str]:
    """The rule's body with names turned into the world's ids."""
    body = the_rule.body
    if body is None:
        return b"", "application/json"
    if isinstance(body, bytes):
        return body, "application/x-ndjson"
    names = {
        "person": world.labels.person.pk,
        "org": world.labels.org.pk,
        "favor": world.labels.favor.pk,
        "high": world.labels.high.pk,
        "target": world.target.pk,
    }
    filled = {
        k: names.get(v, v) if isinstance(v, str) and k != "source" else v
        for k, v in body.items()
    }
    return json.dumps(filled).encode(), "application/json"


def client_for(world, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        user = getattr(world, USER_OF[persona])
        token = ApiToken.objects.issue(user=user, name="matrix")[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def check(route, world) -> list[str]:
    the_rule = MATRIX[route.name]
    values = {"slug": world.project.slug, "rest": "no/such/path"}
    known = ids(world)
    values.update({key: known[kind] for key, kind in the_rule.ids.items()})
    url = fill(route, values) + the_rule.query
    body, content_type = body_for(the_rule, world)
    allowed_set = ALLOWED[the_rule.who]
    problems, first_allowed = [], True
    for persona in sorted(PERSONAS, key=lambda p: p in allowed_set):
        response = client_for(world, persona).generic(
            the_rule.method, url, body, content_type=content_type
        )
        status = response.status_code
        what = f"{the_rule.method} {url} as {persona}: {status}"
        allowed = persona in allowed_set
        if status >= 500:
            problems.append(f"{what} (server error)")
        elif the_rule.who == "nobody":
            if status != 404:
                problems.append(f"{what}, expected 404")
        elif not response.get("Content-Type", "").startswith(
            ("application/json", "text/html", "application/jsonl")
        ):
            problems.append(f"{what}: answered {response.get('Content-Type')}")
        elif persona == "anonymous" and the_rule.who != "public":
            if status != 401:
                problems.append(f"{what}, expected 401")
        elif allowed:
            lenient = route.name in DESTRUCTIVE and not first_allowed
            if status in (401, 403, 405) or (status == 404 and not lenient):
                problems.append(f"{what}, expected the {persona} to be let in")
            first_allowed = False
        elif persona == "outsider" and the_rule.who not in NOT_PROJECT:
            if status != 404:
                problems.append(f"{what}, expected 404 for an outsider")
        elif the_rule.who in ("owner", "owner-or-reviewer"):
            if status != 404:
                problems.append(f"{what}, expected 404: not their version")
        elif status != 403:
            problems.append(f"{what}, expected 403 for a role below {the_rule.who}")
        if persona == "outsider" and PROJECT_MARKER in response.content.decode(
            errors="replace"
        ):
            problems.append(f"{what} shows the other project's data")
    return problems


def test_it_has_an_api_matrix_entry_for_every_route():
    missing = [route.name for route in API_ROUTES if route.name not in MATRIX]
    assert not missing, "\n".join(
        f"add {name} to the matrix in {__file__}" for name in missing
    )
    assert set(MATRIX) <= {route.name for route in API_ROUTES}


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda route: route.name)
def test_it_lets_in_exactly_the_roles_of_the_api_matrix(route, world):
    problems = check(route, world)
    assert not problems, "\n".join(problems)
