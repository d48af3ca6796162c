"""Documents through the API: bulk create (streamed, through the import loader), the
list with its filters and paging, one document, deletion."""

from __future__ import annotations

import json

from annotate.models import Assignment, Document, ImportRun, Span, Stance
from tests.api.conftest import ApiClient, base, token_for
from tests.conftest import make_document

TEXT = "Sergey Lavrov arrived in Bamako on Monday, AFP reported."


def ndjson(*records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def post_bulk(api, project, body, content_type="application/x-ndjson", **query):
    url = base(project) + "/documents/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return api.post(url, body, content_type=content_type)


def test_it_creates_documents_from_ndjson_and_from_a_json_array(project, manager):
    api = ApiClient(token_for(manager))
    first = post_bulk(
        api, project, ndjson({"text": TEXT, "title": "Lavrov", "id": "a1"})
    )
    assert first.status_code == 200, first.content
    assert first.json()["imported"] == 1
    array = json.dumps([{"text": "Second article."}, {"text": "Third article."}])
    second = post_bulk(api, project, array, content_type="application/json")
    assert second.json() | {"run": 0} == {
        "message": "2 read, 2 imported, 0 duplicates, 0 rejected",
        "run": 0, "status": "done", "read": 2, "imported": 2, "duplicates": 0,
        "merged": 0, "rejected": 0, "errors": [], "errors_truncated": False,
    }  # fmt: skip
    document = Document.objects.get(external_id="a1")
    assert document.title == "Lavrov" and document.text == TEXT
    assert document.meta["import"] == {"format": "api", "index": 0, "user": "man"}
    run = ImportRun.objects.get(pk=first.json()["run"])
    assert run.format == "api" and run.user == manager and run.imported == 1


def test_resending_a_body_adds_nothing(project, manager):
    api = ApiClient(token_for(manager))
    body = ndjson({"text": TEXT}, {"text": "Another one."})
    post_bulk(api, project, body)
    again = post_bulk(api, project, body)
    assert again.status_code == 200
    assert again.json()["imported"] == 0 and again.json()["duplicates"] == 2
    assert Document.objects.filter(project=project).count() == 2


def test_it_names_each_bad_record_by_index_and_field(project, manager):
    api = ApiClient(token_for(manager))
    body = (
        ndjson(
            {"text": TEXT},
            {"text": 5},
            {
                "text": TEXT + " More.",
                "spans": [{"start": 0, "end": 999, "label": "PERSON"}],
            },
            {
                "text": "Has a bad label.",
                "spans": [{"start": 0, "end": 3, "label": "NOPE"}],
            },
            {"text": "A date.", "published_at": "not a date"},
            "a string",
        )
        + b'{"text": "broken\n'
    )
    response = post_bulk(api, project, body)
    assert response.status_code == 200
    result = response.json()
    assert result["imported"] == 1 and result["rejected"] == 6
    errors = {error["index"]: error for error in result["errors"]}
    assert errors[1]["field"] == "text"
    assert errors[2]["field"] == "spans" and "outside the text" in errors[2]["message"]
    assert (
        errors[3]["field"] == "spans"
        and "no entity label 'NOPE'" in errors[3]["message"]
    )
    assert errors[4]["field"] == "published_at"
    assert "expected a JSON object" in errors[5]["message"]
    assert 6 in errors
    assert Document.objects.filter(project=project).count() == 1


def test_strict_loads_nothing_when_a_record_is_bad(project, manager):
    api = ApiClient(token_for(manager))
    response = post_bulk(
        api, project, ndjson({"text": TEXT}, {"title": "no text"}), strict="true"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["index"] == 1
    assert "nothing was loaded" in response.json()["message"]
    assert not Document.objects.filter(project=project).exists()


def test_it_loads_pre_annotations_as_one_imported_version(project, manager, target):
    api = ApiClient(token_for(manager))
    record = {
        "text": TEXT,
        "annotator": "ner-model",
        "spans": [{"start": 0, "end": 13, "label": "person", "text": "Sergey Lavrov"}],
        "stances": [
            {
                "target": "russia in africa",
                "label": "favor",
                "evidence_start": 0,
                "evidence_end": 13,
            }
        ],
        "ratings": [{"source": "AFP", "role": "cited", "label": "high"}],
        "meta": {"feed": "rss"},
        "section": "world",
    }
    assert post_bulk(api, project, ndjson(record)).json()["imported"] == 1
    version = Assignment.objects.get(document__project=project)
    assert version.annotator.username == "imported:ner-model" and version.is_imported
    assert list(version.spans.values_list("text", "label__name")) == [
        ("Sergey Lavrov", "PERSON")
    ]
    stance = Stance.objects.get(assignment=version)
    assert stance.target == target and stance.evidence_text == "Sergey Lavrov"
    assert version.ratings.get().source.name == "AFP"
    assert (
        version.document.meta["feed"] == "rss"
        and version.document.meta["section"] == "world"
    )


def test_it_refuses_unknown_targets_and_bad_evidence_with_their_field(
    project, manager, target
):
    api = ApiClient(token_for(manager))
    body = ndjson(
        {"text": TEXT, "stances": [{"target": "Nothing", "label": "favor"}]},
        {
            "text": TEXT + "!",
            "stances": [
                {
                    "target": target.name,
                    "label": "favor",
                    "evidence_start": 5,
                    "evidence_end": 500,
                }
            ],
        },
        {
            "text": TEXT + "?",
            "ratings": [{"source": "AFP", "role": "cited", "label": "PERSON"}],
        },
        {
            "text": TEXT + ".",
            "ratings": [{"source": "AFP", "role": "quoted", "label": "high"}],
        },
    )
    errors = post_bulk(api, project, body).json()["errors"]
    assert [e["field"] for e in errors] == [
        "stances.0.target", "stances.0.evidence_start", "ratings.0.label", "ratings.0.role",
    ]  # fmt: skip
    assert not Span.objects.exists() and not Document.objects.exists()


def test_it_streams_a_body_past_the_in_memory_limit(settings, project, manager):
    """Django refuses to hold a body past DATA_UPLOAD_MAX_MEMORY_SIZE in memory: a
    bulk body past it loads, so it was never read whole."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = ndjson(*({"text": f"Article {n}. " + "word " * 60} for n in range(500)))
    assert len(body) > 100_000
    response = post_bulk(ApiClient(token_for(manager)), project, body)
    assert response.status_code == 200 and response.json()["imported"] == 500


def test_it_refuses_an_oversized_body_before_reading_it(settings, project, manager):
    settings.API_MAX_BODY_BYTES = 1000
    body = ndjson(*({"text": f"Article {n} " * 10} for n in range(50)))
    response = post_bulk(ApiClient(token_for(manager)), project, body)
    assert response.status_code == 413
    assert "limit" in response.json()["message"]
    assert not Document.objects.exists() and not ImportRun.objects.exists()


def test_it_refuses_other_content_types_and_empty_bodies(project, manager):
    api = ApiClient(token_for(manager))
    assert (
        post_bulk(api, project, "text=x", content_type="text/plain").status_code == 415
    )
    assert post_bulk(api, project, b"").status_code == 415  # no body, no type
    empty = post_bulk(api, project, b"\n\n")
    assert (
        empty.status_code == 422
        and empty.json()["message"] == "The body holds no documents."
    )
    garbage = post_bulk(api, project, b"\x00\x01 not json at all")
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["index"] == 0


def test_bulk_create_needs_the_manager_role(project, annotator, reviewer):
    for user in (annotator, reviewer):
        response = post_bulk(
            ApiClient(token_for(user)), project, ndjson({"text": TEXT})
        )
        assert response.status_code == 403
    assert not Document.objects.exists()


def test_it_lists_documents_a_page_at_a_time(project, annotator):
    documents = [
        make_document(project, text=f"Article number {n}.", external_id=f"e{n}")
        for n in range(5)
    ]
    api = ApiClient(token_for(annotator))
    first = api.get(base(project) + "/documents/", limit=2).json()
    assert [d["id"] for d in first["items"]] == [d.pk for d in documents[:2]]
    second = api.get(
        base(project) + "/documents/", limit=2, after=first["next_after"]
    ).json()
    assert [d["id"] for d in second["items"]] == [d.pk for d in documents[2:4]]
    last = api.get(
        base(project) + "/documents/", limit=2, after=second["next_after"]
    ).json()
    assert [d["id"] for d in last["items"]] == [documents[4].pk] and last[
        "next_after"
    ] is None


def test_it_filters_documents(project, annotator, annotator_client):
    from annotate.models import Source

    afp = Source.objects.create(name="AFP")
    lavrov = make_document(
        project, text="Lavrov in Bamako.", story_key="s1", publisher=afp
    )
    niger = make_document(project, text="Niger coup news.", external_id="n1")
    Assignment.objects.create(document=niger, annotator=annotator, status="submitted")
    api = ApiClient(token_for(annotator))

    def ids(**query):
        response = api.get(base(project) + "/documents/", **query)
        assert response.status_code == 200, response.content
        return [d["id"] for d in response.json()["items"]]

    assert ids(search="bamako") == [lavrov.pk]
    assert ids(story="s1") == [lavrov.pk]
    assert ids(publisher="afp") == [lavrov.pk] == ids(publisher=str(afp.pk))
    assert ids(publisher="Reuters") == []
    assert ids(external_id="n1") == [niger.pk]
    assert ids(state="submitted") == [niger.pk]
    assert ids(state="unassigned") == [lavrov.pk]
    assert ids(updated_since="2100-01-01T00:00:00Z") == []
    assert set(ids(updated_since="2000-01-01T00:00:00Z")) == {lavrov.pk, niger.pk}
    # An offset Python takes and PostgreSQL does not (it stops at ±15:59).
    assert set(ids(updated_since="1999-07-13T10:09:02-17:10")) == {lavrov.pk, niger.pk}
    bad = api.get(base(project) + "/documents/", state="wrong")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("state")


def test_it_gets_one_document_and_only_of_this_project(project, annotator, outsider):
    document = make_document(project, meta={"tags": ["mali"]})
    api = ApiClient(token_for(annotator))
    got = api.get(base(project) + f"/documents/{document.pk}/").json()
    assert got["text"] == document.text and got["meta"] == {"tags": ["mali"]}
    other = make_document(outsider.memberships.get().project, text="Elsewhere.")
    assert api.get(base(project) + f"/documents/{other.pk}/").status_code == 404


def test_only_a_manager_deletes_a_document(project, annotator, manager):
    document = make_document(project)
    url = base(project) + f"/documents/{document.pk}/"
    assert ApiClient(token_for(annotator)).delete(url).status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()
    assert ApiClient(token_for(manager)).delete(url).status_code == 204
    assert not Document.objects.filter(pk=document.pk).exists()


def test_records_carry_a_models_predictions(project, manager):
    from annotate.models import Prediction

    api = ApiClient(token_for(manager))
    model = {"model_name": "ner", "model_version": "2"}
    good = model | {"spans": [{"start": 0, "end": 13, "label": "person", "score": 0.8}]}
    bad = model | {"spans": [{"start": 0, "end": 99, "label": "PERSON", "score": 0.8}]}
    body = ndjson(
        {"text": TEXT, "predictions": good}, {"text": "Other.", "predictions": bad}
    )
    result = post_bulk(api, project, body).json()
    assert result["imported"] == 1
    assert result["errors"][0]["index"] == 1
    assert result["errors"][0]["field"] == "predictions.spans.0"
    stored = Prediction.objects.get()
    assert stored.document.text == TEXT and stored.spans[0]["label"] == "PERSON"
    assert not Assignment.objects.exists()  # predictions are not people's work
    refused = post_bulk(
        api,
        project,
        ndjson({"text": TEXT, "predictions": model | {"model_version": "3"}}, {"x": 1}),
        strict="true",
    )
    assert refused.status_code == 422
    assert Prediction.objects.count() == 1  # strict and refused: nothing written


def test_a_nul_in_an_unknown_fields_key_is_that_records_error(project, manager):
    """Unknown fields are kept as metadata: a NUL in one of their keys, which
    PostgreSQL cannot store, rejects that record by its index, never a 500."""
    api = ApiClient(token_for(manager))
    body = json.dumps(
        [{"text": "A fine article."}, {"text": "Two.", "x": {"k\u0000": 1}}]
    )
    response = post_bulk(api, project, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["imported"] == 1
    assert response.json()["rejected"] == 1
    assert "NUL" in json.dumps(response.json()["errors"])
