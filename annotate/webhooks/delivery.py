"""Sending one delivery: signed, with a timeout, retried with exponential back-off.

The body is the JSON of {"id", "event", "project", "created_at", "data"}. It is signed
with the webhook's secret: ``X-Newsapp-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>``, where ``X-Newsapp-Timestamp`` is the Unix time of sending, so a
receiver can refuse a replay of an old delivery (see docs/api.md).

A failed attempt is tried again after WEBHOOK_RETRY_SECONDS, then twice that, and so on,
until WEBHOOK_MAX_ATTEMPTS; each attempt's outcome is kept on the Delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.tasks import default_task_backend, task
from django.utils import timezone

from annotate.models import Delivery

EVENT_HEADER = "X-Newsapp-Event"
DELIVERY_HEADER = "X-Newsapp-Delivery"
TIMESTAMP_HEADER = "X-Newsapp-Timestamp"
SIGNATURE_HEADER = "X-Newsapp-Signature"
ERROR_CHARS = 500


class Refused(Exception):
    """The delivery must not be sent at all (the URL points inside the network)."""


def body_of(delivery: Delivery) -> bytes:
    """The delivery as sent: the same bytes at every attempt."""
    document = {
        "id": delivery.pk,
        "event": delivery.event,
        "project": delivery.webhook.project.slug,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str, *, now=None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > settings.WEBHOOK_MAX_AGE:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


@task
def send_delivery(delivery_id: int) -> None:
    """The task the worker runs: one attempt, and the next one scheduled on failure."""
    delivery = (
        Delivery.objects.select_related("webhook__project")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is not None and delivery.status == Delivery.Status.PENDING:
        attempt(delivery)


def send_due(*, now: datetime | None = None) -> int:
    """Attempt every pending delivery whose retry is due: for a task backend that
    cannot run a task later (the tests' immediate one). Returns how many."""
    now = now or timezone.now()
    due = Delivery.objects.select_related("webhook__project").filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now
    )
    count = 0
    for delivery in due:
        attempt(delivery)
        count += 1
    return count


def attempt(delivery: Delivery) -> bool:
    """Send once; True when the receiver answered 2xx. Claims the attempt first, so two
    workers never send the same attempt twice."""
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return False
    delivery.attempts += 1
    hook = delivery.webhook
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "newsapp-webhooks",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(hook.secret, timestamp, body),
    }
    status, error, permanent = None, "", False
    try:
        status = _post(hook.url, body, headers)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except Refused as refusal:
        error, permanent = str(refusal), True
    except (OSError, ValueError) as failure:  # refused, timed out, unreachable...
        error = f"{type(failure).__name__}: {failure}"
    _record(delivery, status=status, error=error[:ERROR_CHARS], permanent=permanent)
    return not error


def _record(delivery: Delivery, *, status: int | None, error: str, permanent: bool):
    now = timezone.now()
    delivery.response_status, delivery.last_error = status, error
    if not error:
        delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
    elif permanent or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
    else:
        wait = settings.WEBHOOK_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    delivery.save(
        update_fields=[
            "response_status",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )
    if (
        delivery.status == Delivery.Status.PENDING
        and default_task_backend.supports_defer
    ):
        send_delivery.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to send the body to again."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    _check_address(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            response.read(1024)
            return response.status
    except urllib.error.HTTPError as answer:  # 3xx, 4xx and 5xx arrive here
        return answer.code


def _check_address(url: str) -> None:
    """Refuse URLs that resolve inside the network (the database, the cloud's metadata
    service...) unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES says this installation wants them."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"refused: {url!r} is not an http(s) URL")
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, address in socket.getaddrinfo(parts.hostname, port):
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise Refused(
                f"refused: {parts.hostname} resolves to {ip}, a private address "
                "(set WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1 to allow)"
            )
