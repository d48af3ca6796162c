from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connections
from django.test import TransactionTestCase

from annotate.ingest.records import DocumentRecord
from annotate.models import Document, Membership, Project

SHARED_DATA = Path(
    os.environ.get(
        "NEWSAPP_SHARED_DATA",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)
SEEDS = SHARED_DATA / "seeds"
FORMAT_EXAMPLES = SHARED_DATA / "annotation-format-examples"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared data folder is not at {SHARED_DATA}")
    return SHARED_DATA


# Tables a transactional test leaves as they were: post_migrate fills them once.
KEPT_TABLES = {"django_content_type", "auth_permission"}


def empty_the_tables(test_case: TransactionTestCase) -> None:
    """After a transactional test (live servers, races, subprocesses): TRUNCATE every
    model's table but the content types and permissions, instead of Django's flush,
    which truncates those too and writes them back through the post_migrate signal
    (40 of the 100 ms each flush took; the test processes flush hundreds of times).
    TRUNCATE, not DELETE: deleted rows stay in the tables and their indexes until a
    vacuum (a test database's annotate_document grew to 37 MB holding no row)."""
    for alias in test_case._databases_names(include_mirrors=False):
        connection = connections[alias]
        tables = set(connection.introspection.django_table_names(True)) - KEPT_TABLES
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), sorted(tables))
        )


TransactionTestCase._fixture_teardown = empty_the_tables


# What pytest-django reads to tell that a test uses the database (besides its mark).
DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


def uses_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(item.get_closest_marker("django_db") or DATABASE_FIXTURES & fixtures)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests that leave the test database alone go first. pytest-django runs tests
    without the database last (after its own order: plain, then transactional); spread
    over processes (`make test`), a long test started last keeps the run waiting while
    the other processes have nothing left to do."""
    items.sort(
        key=lambda item: (
            not (item.get_closest_marker("slow") and not uses_database(item))
        )
    )


# Modules whose tests share a session fixture too costly to build on every process:
# each group runs on one (`make test` distributes with --dist loadgroup).
TOGETHER = {
    "tests/faults/test_dead_worker.py": "faults installation",
    "tests/faults/test_database_outage.py": "faults installation",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadgroup with the groups of TOGETHER. pytest-xdist 3.8 passes a test's
    xdist_group mark to its scheduler by rewriting the test's node id, which pytest 9.2
    no longer reads (pytest-dev/pytest-xdist#1386): marked tests were spread like any
    other."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class TogetherScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return TOGETHER.get(module) or super()._split_scope(nodeid)

    return TogetherScheduling(config, log)


def make_user(username: str, **overrides):
    overrides.setdefault("password", "pw-" + username)
    return get_user_model().objects.create_user(username=username, **overrides)


def make_document(project: Project, **overrides) -> Document:
    overrides.setdefault("text", "Sergey Lavrov arrived in Bamako on Monday.")
    overrides.setdefault("title", "Lavrov in Mali")
    overrides.setdefault("raw", overrides["text"])
    record = DocumentRecord(
        text=overrides["text"], raw=overrides["raw"], origin="test:1"
    )
    overrides.setdefault("content_hash", record.content_hash)
    return Document.objects.create(project=project, **overrides)


@pytest.fixture
def project(db) -> Project:
    project, _ = Project.objects.get_or_create_with_labels(
        "lavrov", name="Lavrov in Africa"
    )
    return project


def member(project: Project, username: str, role: str):
    user = make_user(username)
    Membership.objects.create(user=user, project=project, role=role)
    return user


@pytest.fixture
def annotator(project):
    return member(project, "ann", Membership.Role.ANNOTATOR)


@pytest.fixture
def reviewer(project):
    return member(project, "rev", Membership.Role.REVIEWER)


@pytest.fixture
def manager(project):
    return member(project, "man", Membership.Role.MANAGER)


@pytest.fixture
def outsider(db):
    other, _ = Project.objects.get_or_create_with_labels("other")
    return member(other, "out", Membership.Role.MANAGER)


@pytest.fixture
def annotator_client(client, annotator):
    client.force_login(annotator)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run at once in tests, in the request that queued them."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture
def annotated(project):
    """Three annotators' work on two documents (tests/annotated_world.py)."""
    from tests.annotated_world import annotate_project

    return annotate_project(project)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with empty caches (the suggestion vocabulary, the drawings
    of the annotation screen)."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["drawings"].clear()


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


QUEUE_ORDERS = ["imported", "uncertainty"]


@pytest.fixture(params=QUEUE_ORDERS)
def queue_order(request, project) -> str:
    """Run a queue test in both orders of Project.queue_order; call `predicted` once
    the test's documents exist, so the uncertainty order has predictions to go by."""
    project.queue_order = request.param
    project.save(update_fields=["queue_order"])
    return request.param


def predicted(project: Project, *, uncertainty=None) -> None:
    """Give each of the project's documents a Prediction, later documents less sure
    by default (so the uncertainty order runs against import order); `uncertainty`
    maps a document to its own."""
    from annotate.models import Prediction

    documents = list(project.documents.order_by("id"))
    for n, document in enumerate(documents):
        value = (
            (n + 1) / len(documents) if uncertainty is None else uncertainty(document)
        )
        Prediction.objects.update_or_create(
            document=document,
            model_name="test-model",
            model_version="1",
            defaults={"uncertainty": value},
        )
