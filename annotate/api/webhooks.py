"""Webhooks: a manager registers URLs for a project's events and reads the log of
their deliveries (annotate.webhooks sends them)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from annotate.access import Role
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import (
    DeliveryOut,
    EventName,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)
from annotate.models import Delivery, Webhook

router = Router(tags=["webhooks"])
RECENT_DELIVERIES = 100


def checked_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise ApiError(
            422,
            "Give an http:// or https:// URL.",
            [{"field": "url", "message": "not an http(s) URL"}],
        ) from None
    if urlsplit(url).username or urlsplit(url).password:
        raise ApiError(
            422, "Put no credentials in the URL: deliveries are signed instead."
        )
    return url


def hook_out(hook: Webhook) -> dict:
    return {
        "id": hook.pk,
        "url": hook.url,
        "events": hook.events,
        "active": hook.active,
        "created_at": hook.created_at,
    }


@router.get("/{slug}/webhooks/", response=responses({200: list[WebhookOut]}))
def list_webhooks(request: HttpRequest, slug: str):
    access = access_to(request, slug, Role.MANAGER)
    return [hook_out(hook) for hook in access.project.webhooks.all()]


@router.post("/{slug}/webhooks/", response=responses({201: WebhookCreated}))
def create_webhook(request: HttpRequest, slug: str, payload: WebhookIn):
    """Register a URL for events. The answer holds the secret that signs every
    delivery, once: keep it (docs/api.md shows how to check a signature)."""
    access = access_to(request, slug, Role.MANAGER)
    hook = Webhook.objects.create(
        project=access.project,
        url=checked_url(payload.url),
        events=sorted(set(payload.events)),
        active=payload.active,
        secret=Webhook.new_secret(),
        created_by=request.user,
    )
    return Status(201, {**hook_out(hook), "secret": hook.secret})


class WebhookChange(Schema):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[EventName] | None = None
    active: bool | None = None


def _hook(request: HttpRequest, slug: str, pk: int) -> Webhook:
    access = access_to(request, slug, Role.MANAGER)
    return get_object_or_404(Webhook, project=access.project, pk=pk)


@router.get("/{slug}/webhooks/{int:pk}/", response=responses({200: WebhookOut}))
def get_webhook(request: HttpRequest, slug: str, pk: int):
    return hook_out(_hook(request, slug, pk))


@router.patch("/{slug}/webhooks/{int:pk}/", response=responses({200: WebhookOut}))
def change_webhook(request: HttpRequest, slug: str, pk: int, payload: WebhookChange):
    hook = _hook(request, slug, pk)
    if payload.url is not None:
        hook.url = checked_url(payload.url)
    if payload.events is not None:
        if not payload.events:
            raise ApiError(422, "Give at least one event (or set active to false).")
        hook.events = sorted(set(payload.events))
    if payload.active is not None:
        hook.active = payload.active
    hook.save(update_fields=["url", "events", "active"])
    return hook_out(hook)


@router.delete("/{slug}/webhooks/{int:pk}/", response=responses({204: None}))
def delete_webhook(request: HttpRequest, slug: str, pk: int):
    _hook(request, slug, pk).delete()
    return Status(204, None)


@router.get(
    "/{slug}/webhooks/{int:pk}/deliveries/",
    response=responses({200: list[DeliveryOut]}),
)
def list_deliveries(request: HttpRequest, slug: str, pk: int):
    """The webhook's latest deliveries: status, attempts, the last error."""
    hook = _hook(request, slug, pk)
    return list(Delivery.objects.filter(webhook=hook)[:RECENT_DELIVERIES])
