"""Hostile input to the API: whatever comes in, the answer is JSON with a clear 4xx,
never a 500 or a traceback, and nothing is half-written; what is stored comes back
as data (JSON-escaped), never as markup."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from annotate.models import ApiToken, Document, ImportRun, Span
from tests.security.hostile import ALL, PAYLOADS

TRACEBACK_MARKERS = ("Traceback", 'File "/', "django.db", "psycopg")


def token(user) -> str:
    return ApiToken.objects.issue(user=user, name="hostile")[1]


def send(user, method, url, body=b"", content_type="application/json", **headers):
    client = Client()
    return client.generic(
        method, url, body, content_type=content_type,
        headers={"Authorization": f"Bearer {token(user)}", **headers},
    )  # fmt: skip


def assert_clean_refusal(response, *statuses):
    assert response.status_code in statuses, (
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"].startswith("application/json")
    body = response.content.decode(errors="replace")
    assert not any(marker in body for marker in TRACEBACK_MARKERS), body
    assert response.json()["message"]


@pytest.fixture
def urls(world):
    slug = world.project.slug
    root = f"/api/v1/projects/{slug}"
    version = f"{root}/documents/{world.document.pk}/annotations/{world.mine.pk}"
    return {"root": root, "version": version, "bulk": f"{root}/documents/"}


def test_stored_payloads_come_back_as_json_data(world, urls):
    record = {
        "text": f"Breaking: {ALL}",
        "title": ALL,
        "url": PAYLOADS[6],
        "meta": {"x": ALL},
    }
    loaded = send(world.man, "POST", urls["bulk"], json.dumps([record]))
    assert loaded.status_code == 200, loaded.content
    listing = send(world.man, "GET", urls["root"] + "/documents/?limit=1000")
    assert listing["Content-Type"] == "application/json; charset=utf-8"
    assert listing["X-Content-Type-Options"] == "nosniff"
    titles = [d["title"] for d in listing.json()["items"]]
    assert ALL in titles  # exactly as given: JSON carries it, escaping is the reader's


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"start": 1,, }',
        b"[" * 5000 + b"]" * 5000,
        b"\xff\xfe\x00garbage",
        b'"just a string"',
        b"null",
    ],
)
def test_malformed_bodies_are_a_clear_4xx(world, urls, body):
    response = send(world.ann, "POST", urls["version"] + "/spans/", body)
    assert_clean_refusal(response, 400, 422)
    assert (
        not Span.objects.filter(assignment=world.mine)
        .exclude(pk=world.my_span.pk)
        .exists()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"start": -1},
        {"start": 2**40},
        {"end": "13"},
        {"start": 1.5},
        {"label": [1]},
        {"label": None},
        {"text": {"a": 1}},
        {"version": -5},
        {"seen_label": 2**70},
    ],
)
def test_wrong_types_and_bounds_name_their_field(world, urls, change):
    body = {
        "start": 0,
        "end": 13,
        "text": "Sergey Lavrov",
        "label": world.labels.person.pk,
    } | change
    response = send(world.ann, "POST", urls["version"] + "/spans/", json.dumps(body))
    assert_clean_refusal(response, 422)
    assert response.json()["errors"][0]["field"]
    assert world.mine.spans.count() == 1


def test_offsets_are_code_points_even_with_emoji(world, urls):
    from annotate.models import Assignment
    from tests.conftest import make_document

    text = "🇲🇱 Bamako 😀 Lavrov"
    document = make_document(world.project, text=text)
    mine = Assignment.objects.create(document=document, annotator=world.ann)
    url = f"{urls['root']}/documents/{document.pk}/annotations/{mine.pk}/spans/"
    start = text.index("Lavrov")
    good = {
        "start": start,
        "end": start + 6,
        "text": "Lavrov",
        "label": world.labels.person.pk,
    }
    assert send(world.ann, "POST", url, json.dumps(good)).status_code == 201
    utf16 = good | {"start": start + 3, "end": start + 9}  # what a browser would count
    assert_clean_refusal(send(world.ann, "POST", url, json.dumps(utf16)), 422)


def test_nul_bytes_and_odd_query_strings_are_never_a_500(world, urls):
    for query in ("search=%00", "search=%27%22%3B--", "publisher=%00", "story=%00",
                  "after=-1", "after=99999999999999999999", "limit=0", "updated_since=yesterday",
                  "state=%3Cscript%3E"):  # fmt: skip
        response = send(world.ann, "GET", f"{urls['root']}/documents/?{query}")
        assert response.status_code in (200, 422), (query, response.status_code)
    nul = json.dumps({"text": "Has a \u0000 NUL."})
    loaded = send(world.man, "POST", urls["bulk"], nul)
    assert_clean_refusal(loaded, 422)
    assert "NUL" in loaded.json()["errors"][0]["message"]


def test_ids_out_of_range_are_404(world, urls):
    huge = 2**70
    for url in (f"{urls['root']}/documents/{huge}/", f"{urls['root']}/documents/{huge}/annotations/",
                f"{urls['root']}/exports/{huge}/", f"{urls['root']}/webhooks/{huge}/"):  # fmt: skip
        assert_clean_refusal(send(world.man, "GET", url), 404)


def test_a_label_or_document_of_another_project_is_refused(world, urls):
    from annotate.models import Label

    foreign = Label.objects.get(project=world.other, kind="entity", name="PERSON")
    body = {"start": 0, "end": 6, "text": "Sergey", "label": foreign.pk}
    assert_clean_refusal(
        send(world.ann, "POST", urls["version"] + "/spans/", json.dumps(body)), 422
    )
    other = f"{urls['root']}/documents/{world.other_document.pk}/annotations/{world.mine.pk}/spans/"
    assert_clean_refusal(send(world.ann, "POST", other, json.dumps(body)), 404)
    elsewhere = f"{urls['root']}/documents/{world.other_document.pk}/"
    assert_clean_refusal(send(world.man, "GET", elsewhere), 404)


def test_an_oversized_json_body_is_413_and_writes_nothing(world, urls, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"model_name": "m" * 5000, "model_version": "1"})
    url = f"{urls['root']}/documents/{world.document.pk}/predictions/"
    assert_clean_refusal(send(world.man, "PUT", url, body), 413)
    settings.API_MAX_BODY_BYTES = 1000
    records = "".join(json.dumps({"text": f"Doc {n} " * 20}) + "\n" for n in range(20))
    before = Document.objects.count()
    response = send(
        world.man, "POST", urls["bulk"], records, content_type="application/x-ndjson"
    )
    assert_clean_refusal(response, 413)
    assert (
        Document.objects.count() == before
        and not ImportRun.objects.filter(format="api").exists()
    )


def test_a_record_with_hostile_names_is_refused_by_field(world, urls):
    record = {
        "text": "Sergey Lavrov in Bamako.",
        "spans": [{"start": 0, "end": 6, "label": PAYLOADS[0]}],
    }
    response = send(world.man, "POST", urls["bulk"], json.dumps([record]))
    assert_clean_refusal(response, 422)
    error = response.json()["errors"][0]
    assert error["index"] == 0 and error["field"] == "spans"
    assert not world.project.labels.filter(name=PAYLOADS[0]).exists()  # never created


def test_a_replayed_write_is_harmless_or_refused(world, urls):
    body = json.dumps(
        {"start": 25, "end": 31, "text": "Bamako", "label": world.labels.org.pk}
    )
    first = send(world.ann, "POST", urls["version"] + "/spans/", body)
    again = send(world.ann, "POST", urls["version"] + "/spans/", body)
    assert first.status_code == again.status_code == 201
    assert world.mine.spans.filter(start=25).count() == 1
    version = first.json()["version"]
    undo = json.dumps({"version": version})
    assert send(world.ann, "POST", urls["version"] + "/undo/", undo).status_code == 200
    replayed = send(world.ann, "POST", urls["version"] + "/undo/", undo)
    assert_clean_refusal(replayed, 409)
    assert world.mine.spans.count() == 1  # the second undo did not take the first span


def test_unknown_paths_and_wrong_methods_answer_in_json(world, urls):
    unknown = Client().get("/api/v1/nothing/here/")
    assert_clean_refusal(unknown, 404)
    wrong = send(world.man, "PATCH", urls["root"] + "/documents/")
    assert_clean_refusal(wrong, 405)
    assert "GET" in wrong["Allow"] and "POST" in wrong["Allow"]
