"""Who is asking: personal tokens (hashed, named, revocable, Bearer only), the session
with CSRF, and the per-token write limit."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from annotate.models import ApiToken
from annotate.models.api import token_digest
from tests.api.conftest import ApiClient, base, token_for
from tests.conftest import make_user


def test_it_lets_a_token_act_as_its_user(project, annotator):
    response = ApiClient(token_for(annotator)).get("/api/v1/projects/")
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()] == ["lavrov"]
    assert response.json()[0]["role"] == "annotator"


def test_it_stores_only_the_tokens_hash_and_records_its_use(annotator):
    row, token = ApiToken.objects.issue(user=annotator, name="scraper")
    assert token not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    assert row.digest == token_digest(token)
    assert row.last_used_at is None
    ApiClient(token).get("/api/v1/projects/")
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_it_refuses_anonymous_requests_with_401_json(project):
    response = Client().get(base(project) + "/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "token" in response.json()["message"]


def test_it_refuses_an_unknown_token(project):
    response = ApiClient("nwa_not-a-token").get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json() == {"message": "This token is not valid."}


def test_it_refuses_a_revoked_token(annotator):
    row, token = ApiToken.objects.issue(user=annotator, name="old")
    row.revoke()
    response = ApiClient(token).get("/api/v1/projects/")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_it_refuses_a_deactivated_users_token(annotator):
    token = token_for(annotator)
    annotator.is_active = False
    annotator.save()
    assert ApiClient(token).get("/api/v1/projects/").status_code == 401


def test_it_does_not_fall_back_to_the_session_after_a_bad_token(
    client, manager, project
):
    client.force_login(manager)
    api = ApiClient("nwa_wrong", client=client)
    assert api.get(base(project) + "/").status_code == 401


def test_another_users_token_sees_only_that_users_projects(project, outsider):
    response = ApiClient(token_for(outsider)).get(base(project) + "/")
    assert response.status_code == 404
    assert response.json() == {"message": "No such project."}


def test_it_refuses_a_token_in_the_query_string(project, annotator):
    token = token_for(annotator)
    for name in ("token", "access_token", "api_key"):
        response = Client().get("/api/v1/projects/", {name: token})
        assert response.status_code == 400, name
        assert "Authorization: Bearer" in response.json()["message"]


def test_it_refuses_another_scheme(annotator):
    response = Client().get(
        "/api/v1/projects/", headers={"Authorization": f"Token {token_for(annotator)}"}
    )
    assert response.status_code == 401


def test_the_session_works_for_reads_and_needs_csrf_for_writes(project, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(base(project) + "/").status_code == 200
    url = base(project) + "/webhooks/"
    body = {"url": "https://example.org/hook", "events": ["gold.changed"]}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert not project.webhooks.exists()
    client.get("/api/v1/docs")  # sets the CSRF cookie, as the docs page does
    token = client.cookies["csrftoken"].value
    allowed = client.post(
        url, body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert allowed.status_code == 201
    assert project.webhooks.count() == 1


def test_the_command_prints_a_token_once_and_keeps_its_hash(annotator):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", "ann", "--name", "lab server", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert token.startswith("nwa_")
    row = ApiToken.objects.get(user=annotator)
    assert row.name == "lab server" and row.digest == token_digest(token)
    assert "shown once" in err.getvalue()
    assert ApiClient(token).get("/api/v1/projects/").status_code == 200


def test_the_command_refuses_an_unknown_user(db):
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no user"):
        call_command("create_api_token", "nobody", "--name", "x", stdout=StringIO())


def test_the_tokens_page_makes_shows_once_and_revokes(client, annotator):
    client.force_login(annotator)
    page = client.post("/account/tokens/", {"action": "create", "name": "notebook"})
    assert page.status_code == 200
    row = ApiToken.objects.get(user=annotator, name="notebook")
    shown = page.content.decode()
    token = shown.split("<pre><code>")[1].split("</code>")[0]
    assert token_digest(token) == row.digest
    again = client.get("/account/tokens/").content.decode()
    assert token not in again and row.shown in again
    client.post("/account/tokens/", {"action": "revoke", "id": row.pk})
    row.refresh_from_db()
    assert row.is_revoked
    assert ApiClient(token).get("/api/v1/projects/").status_code == 401


def test_the_tokens_page_revokes_only_your_own(client, annotator):
    other = make_user("someone")
    row, _ = ApiToken.objects.issue(user=other, name="theirs")
    client.force_login(annotator)
    client.post("/account/tokens/", {"action": "revoke", "id": row.pk})
    row.refresh_from_db()
    assert not row.is_revoked


def test_it_limits_writes_per_token(settings, project, manager):
    settings.API_WRITES_PER_WINDOW = 2
    settings.API_WRITE_WINDOW = 3600
    api = ApiClient(token_for(manager))
    body = {"url": "https://example.org/hook", "events": ["gold.changed"]}
    statuses = [
        api.post(base(project) + "/webhooks/", body).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    refused = api.post(base(project) + "/webhooks/", body)
    assert int(refused["Retry-After"]) > 0
    assert "Too many" in refused.json()["message"]
    assert project.webhooks.count() == 2
    assert api.get(base(project) + "/webhooks/").status_code == 200  # reads are free
    other = ApiClient(token_for(manager))  # another token has its own count
    assert other.post(base(project) + "/webhooks/", body).status_code == 201
