"""The HTTP calls to a model server, with a timeout, each failure turned into one
ServerProblem whose message names the URL and what was wrong (no answer in time, an
HTTP error, a body that is not JSON): the task logs it for the project's managers."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from annotate.models import Project

BODY_CHARS = 300  # of an error answer, kept in the log


class ServerProblem(Exception):
    """The model server did not answer as the protocol says."""


def url_of(project: Project, path: str) -> str:
    return project.model_server_url.rstrip("/") + path


def call(project: Project, path: str, body: dict | None = None) -> Any:
    """GET `path` (no body) or POST `body` as JSON; the answer's JSON."""
    url = url_of(project, path)
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json", "User-Agent": "newsapp-mlbackend"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if project.model_server_auth:
        headers["Authorization"] = project.model_server_auth
    request = urllib.request.Request(url, data=data, headers=headers)
    timeout = settings.MODEL_SERVER_TIMEOUT
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        said = error.read()[:BODY_CHARS].decode("utf-8", "replace").strip()
        raise ServerProblem(
            f"{url} answered HTTP {error.code}" + (f": {said}" if said else "")
        ) from None
    except TimeoutError:
        raise ServerProblem(f"no answer from {url} within {timeout:g} s") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise ServerProblem(f"no answer from {url} within {timeout:g} s") from None
        raise ServerProblem(f"could not reach {url}: {error.reason}") from None
    except (OSError, ValueError) as error:  # reset mid-answer, a malformed URL...
        raise ServerProblem(f"could not talk to {url}: {error}") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ServerProblem(f"{url} answered with invalid JSON ({error})") from None
