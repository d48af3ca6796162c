"""Clients of the API: a personal token per persona, sent as the scripts send it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from annotate.models import ApiToken, Label, StanceTarget


class ApiClient:
    """The test client speaking JSON with a Bearer token (or a session, or nothing)."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(
        self,
        method: str,
        url: str,
        body=None,
        *,
        content_type="application/json",
        **headers,
    ):
        data = (
            body if isinstance(body, bytes | str) or body is None else json.dumps(body)
        )
        return self.client.generic(
            method, url, data or "", content_type=content_type,
            headers={**self.headers, **headers},
        )  # fmt: skip

    def get(self, url: str, **query):
        return self.client.get(url, query, headers=self.headers)

    def post(self, url: str, body=None, **kw):
        return self.call("POST", url, body, **kw)

    def put(self, url: str, body=None, **kw):
        return self.call("PUT", url, body, **kw)

    def patch(self, url: str, body=None, **kw):
        return self.call("PATCH", url, body, **kw)

    def delete(self, url: str, **query):
        from urllib.parse import urlencode

        return self.call("DELETE", url + (f"?{urlencode(query)}" if query else ""))


def token_for(user) -> str:
    return ApiToken.objects.issue(user=user, name="tests")[1]


@pytest.fixture
def api_for():
    return lambda user: ApiClient(token_for(user))


@pytest.fixture
def target(project):
    return StanceTarget.objects.create(project=project, name="Russia in Africa")


@pytest.fixture
def labels(project):
    by = {
        (label.kind, label.name): label
        for label in Label.objects.filter(project=project)
    }
    return by


def base(project) -> str:
    return f"/api/v1/projects/{project.slug}"
