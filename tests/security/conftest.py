"""A small world with one of every persona and every kind of object, and the URLconf
walked pattern by pattern, for the permission matrix, blind mode and hostile content."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from annotate.assist.runs import archive_path
from annotate.exports.stored import output_path
from annotate.models import (
    Assignment,
    Entity,
    ExportRun,
    ImportRun,
    Invitation,
    Label,
    Membership,
    ModelRun,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from annotate.models.people import token_hash
from tests.conftest import make_document, make_user

SECRET_SPAN = "SECRET-SPAN-TEXT"
SECRET_NOTE = "SECRET-STANCE-NOTE"
SECRET_RATIONALE = "SECRET-RATING-RATIONALE"
SECRET_COMMENT = "SECRET-REVIEW-COMMENT"
PROJECT_MARKER = "PROJECT-MARKER-7Q"
EXPIRED_INVITATION = "an-expired-invitation-token"
TEXT = f"Sergey Lavrov arrived in Bamako on Monday. {SECRET_SPAN} was quoted by AFP."


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full name (namespace:name), regex-free route, converters."""

    name: str
    route: str
    converters: dict[str, str] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""


def all_routes() -> list[Route]:
    """Every pattern of the project's URLconf, recursively; unnamed ones named by route."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> list[Route]:
        routes = []
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}".strip(":")
                routes += walk(pattern, route, inner)
            elif isinstance(pattern, URLPattern):
                converters = {
                    key: type(value).__name__
                    for key, value in getattr(pattern.pattern, "converters", {}).items()
                }
                name = pattern.name or f"<unnamed {route}>"
                full = f"{namespace}:{name}" if namespace else name
                routes.append(Route(full, route, converters))
        return routes

    return walk(get_resolver(), "/", "")


def fill(route: Route, values: dict[str, object]) -> str:
    """The route with each <converter:name> (or regex group) replaced by values[name]."""
    path = route.route
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return path.replace("^", "").replace("$", "")


@pytest.fixture
def world(db, settings, tmp_path) -> SimpleNamespace:
    settings.VAR_DIR = tmp_path
    return make_world()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world built once for a module of hundreds of tests (each costs a twentieth
    of a second to build): kept in a transaction rolled back after the module, while
    each test runs in a savepoint of its own, so what one test changes the next never
    sees. Its files are under var_dir: set settings.VAR_DIR to it in each test."""
    var_dir = tmp_path_factory.mktemp("world")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(VAR_DIR=var_dir):
            world = make_world()
        world.var_dir = var_dir
        yield world
        transaction.set_rollback(True)


def make_world() -> SimpleNamespace:
    """A blind project with two annotators' work on one document, a reviewer, a manager,
    an outsider (manager of another project) and a superuser; its files (an export's,
    a model's) under settings.VAR_DIR."""
    project, _ = Project.objects.get_or_create_with_labels(
        "lavrov", name=f"Lavrov in Africa {PROJECT_MARKER}"
    )
    project.blind = True
    project.guidelines = "Label **people** and *places*."
    project.save()
    other, _ = Project.objects.get_or_create_with_labels("other", name="Other project")

    def member(username: str, role: str, of: Project = project):
        user = make_user(username)
        Membership.objects.create(user=user, project=of, role=role)
        return user

    ann = member("ann", Membership.Role.ANNOTATOR)
    ann2 = member("ann2", Membership.Role.ANNOTATOR)
    rev = member("rev", Membership.Role.REVIEWER)
    man = member("man", Membership.Role.MANAGER)
    out = member("out", Membership.Role.MANAGER, of=other)
    root = get_user_model().objects.create_superuser("root", password="pw-root")

    publisher = Source.objects.create(name="Al Mayadeen English", domain="mayadeen.net")
    document = make_document(
        project,
        text=TEXT,
        title=f"Lavrov in Mali {PROJECT_MARKER}",
        publisher=publisher,
    )
    spare = make_document(project, text="A second article about Niger.", title="Niger")
    other_document = make_document(other, text="Another project's article.")
    person = Label.objects.get(project=project, kind=Label.Kind.ENTITY, name="PERSON")
    org = Label.objects.get(project=project, kind=Label.Kind.ENTITY, name="ORG")
    favor = Label.objects.get(project=project, kind=Label.Kind.STANCE, name="favor")
    high = Label.objects.get(project=project, kind=Label.Kind.RELIABILITY, name="high")
    target = StanceTarget.objects.create(project=project, name="Russia in Africa")
    entity = Entity.objects.create(project=project, name="Sergey Lavrov", type=person)

    mine = Assignment.objects.create(document=document, annotator=ann)
    my_span = Span.objects.create(
        assignment=mine, start=0, end=13, label=person, text=TEXT[0:13], entity=entity
    )
    theirs = Assignment.objects.create(
        document=document,
        annotator=ann2,
        status=Assignment.Status.SUBMITTED,
        review_comment=SECRET_COMMENT,
    )
    start = TEXT.index(SECRET_SPAN)
    their_span = Span.objects.create(
        assignment=theirs,
        start=start,
        end=start + len(SECRET_SPAN),
        label=org,
        text=SECRET_SPAN,
    )
    their_stance = Stance.objects.create(
        assignment=theirs, target=target, label=favor, note=SECRET_NOTE
    )
    their_rating = Rating.objects.create(
        assignment=theirs,
        source=publisher,
        role=Rating.Role.PUBLISHER,
        label=high,
        rationale=SECRET_RATIONALE,
    )
    run = ImportRun.objects.create(
        project=project,
        user=man,
        format="jsonl",
        files=["articles.jsonl"],
        status=ImportRun.Status.DONE,
        rejections=[{"origin": "articles.jsonl:3", "reason": "no text"}],
    )
    # A finished export whose file is kept, to download.
    export = ExportRun.objects.create(
        project=project,
        user=man,
        format="spans",
        status=ExportRun.Status.DONE,
        options={"format": "spans", "parts": [["", 1]]},
        lines=1,
    )
    output_path(export).parent.mkdir(parents=True)
    output_path(export).write_text(f'{{"text": "{SECRET_SPAN}"}}\n')
    # A finished recommender run whose zipped model is kept, to download.
    model_run = ModelRun.objects.create(
        project=project, kind=ModelRun.Kind.ENTITIES, status=ModelRun.Status.DONE
    )
    archive_path(model_run).parent.mkdir(parents=True)
    archive_path(model_run).write_bytes(b"PK\x05\x06" + bytes(18))
    # An invitation whose link has expired: it opens nothing, for anyone.
    invitation = Invitation.objects.create(
        project=project,
        username="later",
        token_hash=token_hash(EXPIRED_INVITATION),
        expires_at=timezone.now() - timedelta(days=1),
        invited_by=man,
    )
    return SimpleNamespace(
        project=project,
        other=other,
        ann=ann,
        ann2=ann2,
        rev=rev,
        man=man,
        out=out,
        root=root,
        publisher=publisher,
        document=document,
        spare=spare,
        other_document=other_document,
        target=target,
        entity=entity,
        labels=SimpleNamespace(person=person, org=org, favor=favor, high=high),
        mine=mine,
        my_span=my_span,
        theirs=theirs,
        their_span=their_span,
        their_stance=their_stance,
        their_rating=their_rating,
        run=run,
        export=export,
        model_run=model_run,
        invitation=invitation,
    )


def ids_of(world: SimpleNamespace) -> dict[str, int | str]:
    return {
        "document": world.document.pk,
        "assignment": world.mine.pk,
        "span": world.my_span.pk,
        "import-run": world.run.pk,
        "export-run": world.export.pk,
        "model-run": world.model_run.pk,
        "source": world.publisher.pk,
        "label": world.labels.person.pk,
        "target": world.target.pk,
        "membership": world.ann2.memberships.get().pk,
        "invitation": world.invitation.pk,
        "invitation-token": EXPIRED_INVITATION,
        "reset-uid": "MQ",
        "reset-token": "set-password",
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made by the dozen here; the real hasher would take most of the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
