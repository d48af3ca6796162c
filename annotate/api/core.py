"""The API object and what every request goes through: who is asking (a personal token
or the session), the write rate limit, and errors as JSON with a message."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.throttling import BaseThrottle

from annotate.access import ProjectAccess, Role, project_access
from annotate.api.docs import StaticSwagger
from annotate.models import ApiToken, ApiWriteCount
from annotate.models.api import token_digest
from annotate.views.timeouts import (
    DEADLOCK,
    is_deadlock,
    is_statement_timeout,
    took_too_long,
)

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Query parameters a token might be put in by mistake: refused, since URLs end up in
# logs, browser histories and Referer headers.
TOKEN_PARAMETERS = ("token", "access_token", "api_key", "apikey", "key", "bearer")


class ApiError(HttpError):
    """A refusal with a message and, optionally, what was wrong field by field."""

    def __init__(
        self, status_code: int, message: str, errors: list[dict] | None = None
    ) -> None:
        super().__init__(status_code, message)
        self.errors = errors or []


class JsonParser(Parser):
    """The standard parser, with a message that says where the JSON breaks."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except json.JSONDecodeError as error:
            raise ApiError(
                400,
                f"The body is not valid JSON: {error.msg} "
                f"(line {error.lineno}, column {error.colno}).",
            ) from None
        except (UnicodeDecodeError, RecursionError):
            raise ApiError(400, "The body is not valid JSON text.") from None


# Authentication


class TokenAuth(HttpBearer):
    """Authorization: Bearer <personal token>. A wrong, revoked or deactivated user's
    token is refused outright (401), never passed on to the session."""

    def __call__(self, request: HttpRequest) -> Any:
        refuse_tokens_in_query(request)
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                message="Send the token as 'Authorization: Bearer <token>'."
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token))
            .first()
        )
        if row is None:
            raise AuthenticationError(message="This token is not valid.")
        if row.is_revoked:
            raise AuthenticationError(message="This token was revoked.")
        if not row.user.is_active:
            raise AuthenticationError(message="This token's user is deactivated.")
        row.record_use()
        request.user = row.user
        request.api_token = row
        return row.user


class SessionAuth(APIKeyCookie):
    """The logged-in session (the browsable docs use it), with Django's CSRF check on
    every write. Anonymous requests pass on, to be refused with 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS:
            # The view is csrf_exempt for token clients; sessions are checked here.
            checker = CsrfViewMiddleware(lambda request: HttpResponse())
            if checker.process_view(request, lambda request: None, (), {}) is not None:
                raise ApiError(
                    403,
                    "CSRF check failed: a session's writes need the X-CSRFToken header.",
                )
        return user


def refuse_tokens_in_query(request: HttpRequest) -> None:
    if any(name in request.GET for name in TOKEN_PARAMETERS):
        raise ApiError(
            400,
            "Tokens are refused in the query string; send 'Authorization: Bearer <token>'.",
        )


# The write rate limit


class WriteThrottle(BaseThrottle):
    """API_WRITES_PER_WINDOW writes per token (or session user) per window, counted in
    PostgreSQL like failed logins, so every app server shares the count (one
    statement a write: ApiWriteCount.add_one)."""

    def allow_request(self, request: HttpRequest) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = getattr(request, "api_token", None)
        who = f"token:{token.pk}" if token else f"user:{request.user.pk}"
        length = settings.API_WRITE_WINDOW
        now = time.time()
        self.remaining = length - now % length
        count = ApiWriteCount.add_one(who, int(now // length))
        return count <= settings.API_WRITES_PER_WINDOW

    def wait(self) -> float | None:
        return getattr(self, "remaining", None)


class Api(NinjaAPI):
    """NinjaAPI, describing also the schemas only named in hand-written parts of the
    description (the bulk body, streamed past ninja's parser)."""

    extra_schemas: list = []

    def get_openapi_operation_id(self, operation) -> str:
        # The view's name (unique across the API): what clients generated from the
        # description call the operation.
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in self.extra_schemas:
            described = model.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components.update(described.pop("$defs", {}))
            components[model.__name__] = described
        return schema


api = Api(
    title="newsapp API",
    version="1",
    description=(
        "Push articles and pre-annotations in, pull labels out, get told when things "
        "happen. Authenticate with a personal token (`Authorization: Bearer <token>`, "
        "made on your tokens page or with `manage.py create_api_token`) or, in this "
        "page, with your logged-in session. Every error is JSON with a `message`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    throttle=[WriteThrottle()],
    parser=JsonParser(),
    docs=StaticSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# Errors


def error_response(
    request: HttpRequest, status: int, message: str, errors: list | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error_response(request, error.status_code, error.message, error.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    message = error.message
    if message == "Unauthorized":
        message = "Log in, or send a personal token as 'Authorization: Bearer <token>'."
    response = error_response(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="newsapp"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    message = error.message
    if error.status_code == 429:
        message = "Too many writes with this token; wait and try again."
    return error_response(request, error.status_code, message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems = [
        {
            "field": ".".join(str(part) for part in problem.get("loc", ())),
            "message": problem.get("msg", "not valid"),
        }
        for problem in error.errors
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return error_response(
        request, 422, f"The request is not valid: {summary}", problems
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(request, 404, str(error) or "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, str(error) or "You may not do this here.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return error_response(
        request, 413, "The body is too large for this request; see the API's limits."
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    if is_statement_timeout(error):  # REQUEST_STATEMENT_TIMEOUT_MS: said, not logged
        return error_response(request, 503, took_too_long())
    if is_deadlock(error):  # PostgreSQL rolled this request back: nothing was saved
        return error_response(request, 409, DEADLOCK)
    # Logged whole for the operator; the client gets a message, never a traceback.
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(request, 500, "Something went wrong on the server.")


# Shared by the resources


def access_to(request: HttpRequest, slug: str, at_least: str = Role.ANNOTATOR):
    """annotate.access's answer; its Http404 and PermissionDenied become JSON 404/403."""
    return project_access(request, slug, at_least=at_least)


ERRORS = (400, 401, 403, 404, 409, 413, 422, 429, 500)


def responses(ok: dict[int, Any], *, errors: tuple[int, ...] = ERRORS) -> dict:
    """An operation's responses: its successes, and every error as ErrorOut."""
    from annotate.api.schemas import ErrorOut

    return {**ok, **dict.fromkeys(errors, ErrorOut)}


__all__ = ["ApiError", "ProjectAccess", "access_to", "api", "responses"]
