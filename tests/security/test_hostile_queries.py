"""Odd input in any search box, filter or form field (a NUL byte, a lone surrogate, ten
thousand characters, numbers out of range, a parameter given twice) gets a 400 with a
message or an ordinary page, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from annotate.models import ExportRun
from tests.security.conftest import all_routes, fill, ids_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world, db, settings):
    """One world for the module's hundreds of tests; each test's changes are undone."""
    settings.VAR_DIR = shared_world.var_dir
    return shared_world


# Raw query-string values, already percent-encoded as a browser or a script sends them.
HOSTILE = {
    "nul": "%00",
    "nul-inside": "Lavrov%00Bamako",
    "lone-surrogate": "%ED%A0%80",
    "bad-utf8": "%FF%FE",
    "long": "a" * 10_000,
    "negative": "-1",
    "huge": "9" * 30,
    "sql": quote("' OR 1=1 --"),
    "search-syntax": quote('"unclosed -"or'),
}
# Every query parameter a page of the app reads, by route.
FILTERS = {
    "annotate:document-list": ("q", "after", "before"),
    "annotate:review-queue": (
        "annotator",
        "label",
        "state",
        "disagree",
        "order",
        "after",
    ),
    "annotate:adjudicate": ("annotator", "label", "state", "order", "after"),
    "annotate:source-list": ("q", "page"),
    "annotate:export-download": ("part",),
}
EVERY_PARAMETER = sorted({name for names in FILTERS.values() for name in names})


def values_for(route_name: str, world) -> dict[str, object]:
    ids = ids_of(world)
    values = {"slug": world.project.slug}
    if route_name == "annotate:adjudicate":
        values["pk"] = world.theirs.pk
    elif "export" in route_name:
        values["pk"] = ids["export-run"]
    elif "import" in route_name:
        values["pk"] = ids["import-run"]
    elif "source" in route_name:
        values["pk"] = ids["source"]
    elif route_name == "annotate:document-detail":
        values["pk"] = ids["document"]
    else:
        values["pk"] = world.mine.pk
    values["span_pk"] = world.my_span.pk
    values["token"] = ids["invitation-token"]
    return values


def get_routes() -> list[str]:
    return [
        route.name
        for route in all_routes()
        if route.namespace == "annotate" and "<" not in route.name
    ]


def assert_answered(response, what: str) -> None:
    assert response.status_code < 500, what
    if response.status_code == 400:
        body = response.content.decode()
        assert "<main>" in body, f"{what}: a 400 without the app's page"
        assert "Traceback" not in body


@pytest.mark.parametrize("route_name, parameter", [
    (route, parameter) for route, names in FILTERS.items() for parameter in names
])  # fmt: skip
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_filter_with_odd_input_answers_without_a_500(
    client, world, route_name, parameter, kind
):
    client.force_login(world.man)
    route = next(r for r in all_routes() if r.name == route_name)
    path = fill(route, values_for(route_name, world))
    response = client.get(f"{path}?{parameter}={HOSTILE[kind]}")
    assert_answered(response, f"{route_name} ?{parameter}={kind}")


@pytest.mark.parametrize("route_name", get_routes())
def test_every_page_takes_every_parameter_given_twice_and_odd(
    client, world, route_name
):
    """Pages that read no parameter ignore them; none may fail on them."""
    client.force_login(world.man)
    route = next(r for r in all_routes() if r.name == route_name)
    path = fill(route, values_for(route_name, world))
    query = "&".join(
        f"{name}={value}"
        for name in EVERY_PARAMETER
        for value in (HOSTILE["nul"], HOSTILE["lone-surrogate"], "a")
    )
    response = client.get(f"{path}?{query}")
    assert_answered(response, f"{route_name} with every parameter")


def test_a_nul_in_the_document_search_is_a_message_not_a_500(client, world):
    client.force_login(world.ann)
    url = reverse("annotate:document-list", args=[world.project.slug])
    response = client.get(url + "?q=Lavrov%00")
    assert response.status_code == 400
    assert "holds a NUL character (%00)" in response.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("seed", "-1"),
        ("seed", "9" * 30),
        ("split", "%00"),
        ("split", "a" * 10_000),
        ("split", "%ED%A0%80"),
        ("format", "%00"),
        ("format", "a" * 10_000),
        ("selection", "%FF%FE"),
    ],
)
@pytest.mark.parametrize("target", ["annotate:export", "annotate:export-stream"])
def test_the_export_form_shows_odd_input_refused_on_its_page(
    client, world, field, value, target
):
    client.force_login(world.man)
    fields = {"format": "spans", "selection": "", "split": "", "split_by": "story"}
    fields |= {"seed": "0", field: value}
    body = "&".join(f"{name}={given}" for name, given in fields.items())
    response = client.post(
        reverse(target, args=[world.project.slug]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<main>" in page
    assert "Nothing was exported:" in page
    assert not ExportRun.objects.exclude(pk=world.export.pk).exists()
