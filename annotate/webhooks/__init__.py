"""Webhooks: a project's events told to the URLs its managers registered.

Any domain function, of any layer, calls ``notify(project, event, payload)`` where the
event happens. It writes one Delivery per interested webhook in the caller's
transaction and queues their sending for after the commit, so a rolled-back change
tells nobody, and a slow or dead receiver never slows the request: the task worker
sends (annotate.webhooks.delivery), retries with exponential back-off and logs each
attempt on the Delivery.

Layer 1: imports annotate.models and Django only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from annotate.models import Delivery, Project, Webhook

Event = Webhook.Event


def notify(project: Project | int, event: str, payload: dict[str, Any]) -> int:
    """Tell the project's webhooks that `event` happened; returns how many deliveries
    were queued. One query when no webhook listens."""
    return notify_many(project, event, [payload])


def notify_many(
    project: Project | int, event: str, payloads: Iterable[dict[str, Any]]
) -> int:
    """One delivery per payload and interested webhook (one query for the webhooks,
    one insert for the deliveries, whatever their number)."""
    project_id = project if isinstance(project, int) else project.pk
    hooks = list(
        Webhook.objects.filter(
            project_id=project_id, active=True, events__contains=[Event(event)]
        ).only("id")
    )
    if not hooks:
        return 0
    payloads = list(payloads)
    deliveries = Delivery.objects.bulk_create(
        Delivery(webhook=hook, event=event, payload=payload)
        for hook in hooks
        for payload in payloads
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    from annotate.webhooks.delivery import send_delivery

    for pk in ids:
        send_delivery.enqueue(pk)
