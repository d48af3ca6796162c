"""Every URL of the project x every persona x GET and POST, against an explicit table of
who may do what, and blind mode: one annotator never sees another's work.

The table is keyed by URL name; a new view without an entry fails
test_it_has_a_matrix_entry_for_every_url with "add <name> to the matrix".
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from tests.security.conftest import (
    PROJECT_MARKER,
    SECRET_COMMENT,
    SECRET_NOTE,
    SECRET_RATIONALE,
    SECRET_SPAN,
    all_routes,
    fill,
    ids_of,
)

GET, POST = "GET", "POST"


@pytest.fixture
def world(shared_world, db, settings):
    """One world for the module's hundreds of tests; each test's changes are undone."""
    settings.VAR_DIR = shared_world.var_dir
    return shared_world


@dataclass(frozen=True)
class Rule:
    """Who may use a URL (`who`, see ALLOWED), with which methods, and what its int
    parameters are (object kinds of conftest.ids_of)."""

    who: str
    methods: frozenset[str]
    ids: dict[str, str] = field(default_factory=dict)


def rule(who: str, *methods: str, **ids: str) -> Rule:
    return Rule(who, frozenset(methods), ids)


OWNER = {"pk": "assignment"}
MATRIX: dict[str, Rule] = {
    "health": rule("public", GET),
    "login": rule("public", GET, POST),
    "logout": rule("login", POST),
    "annotate:project-list": rule("login", GET),
    "annotate:document-list": rule("annotator", GET),
    "annotate:document-detail": rule("annotator", GET, pk="document"),
    "annotate:next": rule("annotator", GET),
    # Anyone's own work only: every member may look at theirs.
    "annotate:my-work": rule("annotator", GET),
    "annotate:labels-css": rule("annotator", GET),
    # Blind project: the assignment's annotator, and reviewers up.
    "annotate:annotate": rule("owner-or-reviewer", GET, **OWNER),
    "annotate:span-create": rule("owner", POST, **OWNER),
    "annotate:span-relabel": rule("owner", POST, **OWNER, span_pk="span"),
    "annotate:span-delete": rule("owner", POST, **OWNER, span_pk="span"),
    "annotate:span-link": rule("owner", GET, POST, **OWNER, span_pk="span"),
    "annotate:suggestion-accept": rule("owner", POST, **OWNER),
    "annotate:suggestion-dismiss": rule("owner", POST, **OWNER),
    "annotate:suggestions-accept-all": rule("owner", POST, **OWNER),
    "annotate:undo": rule("owner", POST, **OWNER),
    "annotate:stance-set": rule("owner", POST, **OWNER),
    "annotate:rating-set": rule("owner", POST, **OWNER),
    "annotate:submit": rule("owner", POST, **OWNER),
    "annotate:skip": rule("owner", POST, **OWNER),
    "annotate:import": rule("manager", GET, POST),
    "annotate:manage": rule("manager", GET, POST),
    "annotate:model-server": rule("manager", GET, POST),
    "annotate:import-run": rule("manager", GET, pk="import-run"),
    "annotate:import-retry": rule("manager", POST, pk="import-run"),
    "annotate:recommenders": rule("reviewer", GET),
    "annotate:train-now": rule("manager", POST),
    "annotate:model-download": rule("manager", GET, pk="model-run"),
    "annotate:project-stats": rule("reviewer", GET),
    "annotate:project-stats-recompute": rule("reviewer", POST),
    # Review sees every annotator's work: reviewers and managers only.
    "annotate:review-queue": rule("reviewer", GET),
    "annotate:adjudicate": rule("reviewer", GET, pk="document"),
    "annotate:review-next": rule("reviewer", GET, pk="document"),
    "annotate:review-take": rule("reviewer", POST, pk="document"),
    "annotate:review-gold": rule("reviewer", POST, pk="document"),
    "annotate:review-agreed": rule("reviewer", POST, pk="document"),
    "annotate:review-decide": rule("reviewer", POST, pk="document"),
    # Exports hold every annotator's work: reviewers and managers only.
    "annotate:export": rule("reviewer", GET, POST),
    "annotate:export-stream": rule("reviewer", POST),
    "annotate:export-run": rule("reviewer", GET, pk="export-run"),
    "annotate:export-download": rule("reviewer", GET, pk="export-run"),
    "annotate:export-retry": rule("manager", POST, pk="export-run"),
    # The source registry: reviewers/managers of any project list their projects'
    # sources; the world's publisher is used in the world's project only.
    "annotate:source-list": rule("registry", GET),
    "annotate:source-detail": rule("reviewer", GET, pk="source"),
    "annotate:source-merge": rule("registry-manager", POST, pk="source"),
    # Setting projects up: superusers and the "project creators" group make projects;
    # managers edit labels and targets, invite, change members, assign documents.
    "annotate:project-new": rule("creator", GET, POST),
    "annotate:label-add": rule("manager", POST),
    "annotate:label-edit": rule("manager", POST, pk="label"),
    "annotate:target-add": rule("manager", POST),
    "annotate:target-edit": rule("manager", POST, pk="target"),
    "annotate:invite": rule("manager", POST),
    "annotate:member-edit": rule("manager", POST, pk="membership"),
    "annotate:invitation-revoke": rule("manager", POST, pk="invitation"),
    "annotate:assign": rule("manager", POST),
    # An invitation link opens for whoever holds it, logged in or not (this one has
    # expired: it says so to everyone and changes nothing).
    "annotate:invitation": rule("public", GET, POST, token="invitation-token"),
    # Password reset by mailed link: Django's views, open without logging in.
    "password_reset": rule("public", GET, POST),
    "password_reset_done": rule("public", GET),
    "password_reset_confirm": rule(
        "public", GET, POST, uidb64="reset-uid", token="reset-token"
    ),
    "password_reset_complete": rule("public", GET),
    "annotate:api-tokens": rule("login", GET, POST),
}
# The Django admin is one block: staff only, its own login page.
ADMIN_SPECIAL = {
    "admin:login": rule("public", GET, POST),
}
ADMIN_RULE = rule("staff", GET, POST)

PERSONAS = ("anonymous", "outsider", "annotator2", "annotator", "reviewer", "manager")
PERSONAS += ("superuser",)
# Non-staff members all meet the admin the same way; one of them stands for all.
ADMIN_PERSONAS = ("anonymous", "manager", "superuser")
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
    "public": set(PERSONAS),
    "login": set(PERSONAS) - {"anonymous"},
    "annotator": MEMBERS,
    "owner": {"annotator"},
    "owner-or-reviewer": {"annotator", "reviewer", "manager", "superuser"},
    "reviewer": {"reviewer", "manager", "superuser"},
    "manager": {"manager", "superuser"},
    "creator": {"superuser"},
    "registry": {"reviewer", "manager", "superuser", "outsider"},
    "registry-manager": {"manager", "superuser"},
    "staff": {"superuser"},
}

ROUTES = all_routes()
# The API answers in JSON with its own statuses: test_api_permission_matrix.py.
APP_ROUTES = [route for route in ROUTES if route.namespace not in ("admin", "api")]
ADMIN_ROUTES = [route for route in ROUTES if route.namespace == "admin"]


def rule_for(name: str) -> Rule | None:
    if name.startswith("admin:"):
        return ADMIN_SPECIAL.get(name, ADMIN_RULE)
    return MATRIX.get(name)


def client_for(world, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(getattr(world, USER_OF[persona]))
    return client


def admin_object_id(route, *, newest: bool = False) -> object:
    """The pk of an object of the model an admin route is about (1 when there is none):
    the first one, or the newest."""
    match = re.match(r"/admin/(\w+)/(\w+)/", route.route)
    if not match:
        return 1
    try:
        model = apps.get_app_config(match[1]).get_model(match[2])
    except LookupError:
        return 1
    first = model.objects.order_by("-pk" if newest else "pk").first()
    return first.pk if first else 1


def url_of(route, world) -> str:
    ids = ids_of(world)
    values: dict[str, object] = {"slug": world.project.slug}
    if route.namespace == "admin":
        values.update(
            object_id=admin_object_id(route),
            content_type_id=ContentType.objects.get_for_model(world.document).pk,
            app_label="annotate",
            url="no-such-page/",
        )
        if "<id>" in route.route:
            values["id"] = world.ann.pk
    else:
        values.update(
            {key: ids[kind] for key, kind in rule_for(route.name).ids.items()}
        )
    return fill(route, values)


def is_login_redirect(response, login_paths: tuple[str, ...]) -> bool:
    return (
        response.status_code == 302
        and urlsplit(response["Location"]).path in login_paths
    )


def check(route, world) -> list[str]:
    """Every persona and method on one URL; the problems found, as readable lines."""
    the_rule = rule_for(route.name)
    url = url_of(route, world)
    # The site's login page serves the admin too (LoginRequiredMiddleware sends there).
    login_paths = (
        ("/login/", "/admin/login/") if route.namespace == "admin" else ("/login/",)
    )
    if route.name == "admin:logout":
        login_paths += (
            "/admin/",
        )  # Django sends a non-staff user's logout to the index
    login_path = " or ".join(login_paths)
    problems = []
    personas = ADMIN_PERSONAS if route.namespace == "admin" else PERSONAS
    # Allowed personas last: a refused request must change nothing, an allowed one may.
    ordered = sorted(personas, key=lambda p: p in ALLOWED[the_rule.who])
    clients = {}  # one login per persona: a GET changes nothing a POST depends on
    for persona, method in itertools.product(ordered, (GET, POST)):
        if route.namespace == "admin" and persona == "superuser" and method == POST:
            continue  # the admin's own POST handling is Django's, and it deletes
        if persona not in clients:
            clients[persona] = client_for(world, persona)
        response = clients[persona].generic(method, url)
        status = response.status_code
        what = f"{method} {url} as {persona}: {status}"
        allowed = persona in ALLOWED[the_rule.who]
        if status >= 500:
            problems.append(f"{what} (server error)")
        elif (
            persona == "anonymous"
            and the_rule.who != "public"
            or route.namespace == "admin"
            and not allowed
        ):
            if not is_login_redirect(response, login_paths):
                problems.append(f"{what}, expected a redirect to {login_path}")
        elif method not in the_rule.methods:
            if status != 405:
                problems.append(f"{what}, expected 405 (method not allowed)")
        elif allowed and route.namespace == "admin":
            pass  # the admin's own answers (403 for a bad autocomplete, 404...) are fine
        elif allowed:
            if status in (401, 403, 404, 405):
                problems.append(f"{what}, expected the {persona} to be let in")
        elif status not in (403, 404):
            problems.append(f"{what}, expected 403 or 404")
        if (
            persona == "outsider"
            and status == 200
            and PROJECT_MARKER in response.content.decode(errors="replace")
        ):
            problems.append(f"{what} shows the other project's data")
    return problems


def test_it_has_a_matrix_entry_for_every_url():
    missing = [route.name for route in APP_ROUTES if route.name not in MATRIX]
    assert not missing, "\n".join(
        f"add {name} to the matrix in {__file__}" for name in missing
    )


def test_it_has_no_stale_matrix_entries():
    names = {route.name for route in APP_ROUTES}
    assert set(MATRIX) <= names, f"not in the URLconf: {set(MATRIX) - names}"


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda route: route.name)
def test_it_lets_in_exactly_the_roles_of_the_matrix(route, world):
    if route.name not in MATRIX:
        pytest.fail(f"add {route.name} to the matrix in {__file__}")
    problems = check(route, world)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda route: route.name)
def test_it_keeps_the_admin_to_staff(route, world):
    problems = check(route, world)
    assert not problems, "\n".join(problems)


# Blind mode


SECRETS = (SECRET_NOTE, SECRET_RATIONALE, SECRET_COMMENT)


def get_urls_with_every_id(world) -> list[str]:
    """Each GET route of the app with every int parameter set to each id of the world's
    objects (theirs included), plus query parameters naming the other annotator."""
    candidates = sorted(
        {
            world.mine.pk,
            world.theirs.pk,
            world.my_span.pk,
            world.their_span.pk,
            world.their_stance.pk,
            world.their_rating.pk,
            world.document.pk,
            world.spare.pk,
            world.run.pk,
            world.publisher.pk,
            world.ann2.pk,
        }
    )
    query = (
        f"?annotator={world.ann2.pk}&user={world.ann2.username}"
        f"&assignment={world.theirs.pk}&a={world.theirs.pk}&pk={world.theirs.pk}"
    )
    urls = []
    for route in APP_ROUTES:
        the_rule = rule_for(route.name)
        if the_rule is None or GET not in the_rule.methods:
            continue
        keys = list(the_rule.ids)
        for combination in itertools.product(candidates, repeat=len(keys)):
            values = {
                "slug": world.project.slug,
                **dict(zip(keys, combination, strict=True)),
            }
            url = fill(route, values)
            urls += [url, url + query]
    return urls


def leaks(body: str, world) -> list[str]:
    found = [secret for secret in SECRETS if secret in body]
    if f'data-span="{world.their_span.pk}"' in body:
        found.append("the other annotator's span element")
    # The span's text is part of the document, which the annotator may read: it may
    # appear only inside the document's own running text (the text itself, or the
    # words around a span of theirs in a span row), never on its own.
    if body.count(SECRET_SPAN) != body.count(f"Monday. {SECRET_SPAN}"):
        found.append(f"{SECRET_SPAN} outside the document text")
    return found


def test_it_never_shows_an_annotator_another_annotators_work(world):
    client = client_for(world, "annotator")
    problems = []
    for url in get_urls_with_every_id(world):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, f"GET {url}: {response.status_code}"
            if found := leaks(response.content.decode(errors="replace"), world):
                problems.append(f"GET {url} {headers}: {', '.join(found)}")
    assert not problems, "\n".join(problems)


def test_it_never_shows_another_annotators_work_in_change_fragments(world):
    client = client_for(world, "annotator")
    url = f"/p/{world.project.slug}/a/{world.mine.pk}"
    start = world.document.text.index("Bamako")
    posts = [
        (
            f"{url}/spans/",
            {
                "start": start,
                "end": start + 6,
                "text": "Bamako",
                "label": world.labels.org.pk,
            },
        ),
        (
            f"{url}/stances/",
            {"target": world.target.pk, "label": world.labels.favor.pk},
        ),
        (
            f"{url}/ratings/",
            {
                "source": world.publisher.name,
                "role": "publisher",
                "label": world.labels.high.pk,
            },
        ),
        (f"{url}/undo/", {}),
    ]
    problems = []
    for post_url, data in posts:
        response = client.post(post_url, data, headers={"HX-Request": "true"})
        assert response.status_code < 500, f"POST {post_url}: {response.status_code}"
        if found := leaks(response.content.decode(errors="replace"), world):
            problems.append(f"POST {post_url}: {', '.join(found)}")
    assert not problems, "\n".join(problems)


def test_it_refuses_an_annotator_the_other_annotators_assignment(world):
    client = client_for(world, "annotator")
    response = client.get(f"/p/{world.project.slug}/a/{world.theirs.pk}/")
    assert response.status_code == 404


def test_it_keeps_an_annotators_work_from_another_annotators_changes(world):
    client = client_for(world, "annotator2")
    url = f"/p/{world.project.slug}/a/{world.mine.pk}/spans/{world.my_span.pk}/delete/"
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert world.mine.spans.filter(pk=world.my_span.pk).exists()
