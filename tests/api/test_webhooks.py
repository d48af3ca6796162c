"""Webhooks: registered by managers, told of every event where it happens, delivered
signed by the task worker, retried with back-off, logged; never in the request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from annotate import webhooks
from annotate.labelling import queue
from annotate.models import Assignment, Delivery, ExportRun, Webhook
from annotate.review import adjudication, decisions
from annotate.webhooks import delivery as sending
from tests.api.conftest import ApiClient, base, token_for
from tests.api.receiver import Receiver
from tests.conftest import make_document

ALL_EVENTS = [choice for choice, _ in Webhook.Event.choices]


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what waits for the commit (the deliveries' sending) at the block's end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def hook(project, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    return Webhook.objects.create(
        project=project, url=receiver.url, events=ALL_EVENTS, secret="s3cret"
    )


def test_a_manager_registers_a_webhook_and_gets_its_secret_once(project, manager):
    api = ApiClient(token_for(manager))
    created = api.post(
        base(project) + "/webhooks/",
        {
            "url": "https://example.org/in",
            "events": ["gold.changed", "import.finished"],
        },
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    hook = Webhook.objects.get(pk=created.json()["id"])
    assert hook.secret == secret and hook.events == ["gold.changed", "import.finished"]
    listed = api.get(base(project) + "/webhooks/").json()
    assert "secret" not in listed[0]
    changed = api.patch(base(project) + f"/webhooks/{hook.pk}/", {"active": False})
    assert changed.json()["active"] is False
    assert api.delete(base(project) + f"/webhooks/{hook.pk}/").status_code == 204
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.org/",
        "https://user:pw@example.org/",
        "not a url",
    ],
)
def test_it_refuses_urls_that_are_not_plain_http(project, manager, url):
    api = ApiClient(token_for(manager))
    response = api.post(
        base(project) + "/webhooks/", {"url": url, "events": ["gold.changed"]}
    )
    assert response.status_code == 422
    assert not Webhook.objects.exists()


def test_only_managers_see_webhooks(project, reviewer):
    api = ApiClient(token_for(reviewer))
    assert api.get(base(project) + "/webhooks/").status_code == 403


def test_a_delivery_is_signed_and_logged(project, hook, receiver, committed):
    document = make_document(project)
    with committed():
        webhooks.notify(project, "gold.changed", {"document": document.pk})
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert delivery.response_status == 200
    sent = receiver.received[0]
    assert json.loads(sent.body) == {
        "id": delivery.pk, "event": "gold.changed", "project": "lavrov",
        "created_at": delivery.created_at.isoformat(), "data": {"document": document.pk},
    }  # fmt: skip
    timestamp = sent.headers["X-Newsapp-Timestamp"]
    signature = sent.headers["X-Newsapp-Signature"]
    assert sending.verify("s3cret", timestamp, sent.body, signature)
    assert not sending.verify("other", timestamp, sent.body, signature)
    assert not sending.verify("s3cret", timestamp, sent.body + b" ", signature)
    old = str(int(timestamp) - 3600)
    assert not sending.verify(
        "s3cret", old, sent.body, sending.signature("s3cret", old, sent.body)
    )


def test_a_failing_receiver_is_retried_with_back_off(
    project, hook, receiver, settings, committed
):
    settings.WEBHOOK_RETRY_SECONDS = 10
    receiver.answers = [500, 503]
    with committed():
        webhooks.notify(project, "gold.changed", {"n": 1})
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "HTTP 500"
    first_wait = delivery.next_attempt_at - delivery.updated_at
    assert timedelta(seconds=9) < first_wait <= timedelta(seconds=10)
    assert sending.send_due() == 0  # not due yet
    sending.send_due(now=timezone.now() + timedelta(seconds=11))
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at - delivery.updated_at > timedelta(seconds=19)
    sending.send_due(now=timezone.now() + timedelta(seconds=60))
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert len(receiver.received) == 3
    assert {r.headers["X-Newsapp-Delivery"] for r in receiver.received} == {
        str(delivery.pk)
    }


def test_it_gives_up_after_the_last_attempt(
    project, hook, receiver, settings, committed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_RETRY_SECONDS = 0
    receiver.answers = [500, 500, 500]
    with committed():
        webhooks.notify(project, "gold.changed", {})
    sending.send_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 2
    assert sending.send_due() == 0


def test_it_refuses_private_addresses_unless_allowed(
    project, hook, receiver, settings, committed
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with committed():
        webhooks.notify(project, "gold.changed", {})
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "private address" in delivery.last_error
    assert receiver.received == []


def test_a_dead_receiver_never_slows_a_request(
    project, hook, settings, annotator, committed
):
    """With the task worker's backend, a request only queues the delivery."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    hook.url = "http://10.255.255.1:9/never-answers"
    hook.save()
    document = make_document(project)
    mine = Assignment.objects.create(document=document, annotator=annotator)
    api = ApiClient(token_for(annotator))
    url = base(project) + f"/documents/{document.pk}/annotations/{mine.pk}/submit/"
    with committed():
        assert api.post(url).status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.attempts == 0 and delivery.status == "pending"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=[delivery.pk]).exists()


def test_every_event_is_told_where_it_happens(
    project, hook, annotator, reviewer, tmp_path, committed
):
    with committed():
        document = make_document(project)
        mine = Assignment.objects.create(document=document, annotator=annotator)
        queue.submit(mine)
        assert decisions.reject(mine, reviewer=reviewer, comment="again")
        queue.submit(mine)
        assert decisions.accept(mine, reviewer=reviewer)
        adjudication.take_agreed(
            document, reviewer=reviewer, k=1
        )  # nothing to take: no event
        from annotate.models import Label, Span

        person = Label.objects.get(project=project, kind="entity", name="PERSON")
        span = Span.objects.create(
            assignment=mine, start=0, end=6, label=person, text=document.text[:6]
        )
        adjudication.take(document, reviewer=reviewer, item=span)
        from annotate.ingest.load import import_records
        from annotate.ingest.records import DocumentRecord
        from annotate.models import ImportRun

        run = ImportRun.objects.create(project=project, format="jsonl")
        import_records(
            [DocumentRecord(text="New.", raw="New.", origin="f:1")],
            project=project,
            run=run,
        )
        from annotate.exports import ExportOptions, run_export

        run_export(project, ExportOptions("documents"), tmp_path / "out.jsonl")
    events = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events == [
        "document.submitted", "version.rejected", "document.submitted",
        "version.accepted", "gold.changed", "import.finished", "export.finished",
    ]  # fmt: skip
    payloads = [d.payload for d in Delivery.objects.order_by("id")]
    assert payloads[1] == {
        "version": mine.pk,
        "document": document.pk,
        "reviewer": "rev",
        "comment": "again",
    }
    assert payloads[-1] == {"run": ExportRun.objects.get().pk, "status": "done"}
    assert Delivery.objects.filter(status="delivered").count() == 7


def test_a_rolled_back_change_tells_nobody(project, hook, receiver):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.notify(project, "gold.changed", {})
        raise RuntimeError
    assert not Delivery.objects.exists() and receiver.received == []


def test_inactive_and_uninterested_hooks_get_nothing(project, hook):
    hook.events = ["import.finished"]
    hook.save()
    assert webhooks.notify(project, "gold.changed", {}) == 0
    hook.active = False
    hook.events = ALL_EVENTS
    hook.save()
    assert webhooks.notify(project, "gold.changed", {}) == 0


def test_the_log_is_listed_for_managers(project, hook, manager, committed):
    with committed():
        webhooks.notify(project, "gold.changed", {})
    log = ApiClient(token_for(manager)).get(
        base(project) + f"/webhooks/{hook.pk}/deliveries/"
    )
    assert [(d["event"], d["status"], d["attempts"]) for d in log.json()] == [
        ("gold.changed", "delivered", 1)
    ]


def test_the_manage_page_shows_each_hooks_deliveries(
    project, hook, manager, client, committed, receiver
):
    receiver.answers = [500]
    with committed():
        webhooks.notify(project, "gold.changed", {})
    client.force_login(manager)
    page = client.get(f"/p/{project.slug}/manage/").content.decode()
    assert receiver.url in page and "gold.changed" in page and "HTTP 500" in page


def test_the_admin_lists_deliveries_and_hides_secrets(
    project, hook, admin_client, committed
):
    with committed():
        webhooks.notify(project, "gold.changed", {})
    page = admin_client.get(
        f"/admin/annotate/webhook/{hook.pk}/change/"
    ).content.decode()
    assert "gold.changed" in page and "s3cret" not in page
    assert admin_client.get("/admin/annotate/delivery/").status_code == 200
    assert admin_client.get("/admin/annotate/apitoken/").status_code == 200
