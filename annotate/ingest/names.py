"""The loader's look-ups: what records name (sources, labels, stance targets, entities,
people) found or created once per import, and a full file's project line applied.

Every find-or-create here is safe against a concurrent import creating the same row:
unique constraints decide, and the loser reads the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction

from annotate.fullformat import IMPORTED_PREFIX
from annotate.ingest.records import ProjectSetup, VersionRecord
from annotate.models import (
    Entity,
    Label,
    Membership,
    Project,
    Source,
    StanceTarget,
)

DEFAULT_TARGET = "Document label"


class BadSetup(ValueError):
    """A full file's project line that cannot be applied; the message says why."""


@dataclass(frozen=True)
class Identity:
    """Who an imported version is attributed to."""

    user: object
    imported: bool


def domain_of(url: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")[:253]


class Names:
    """Look-ups for one import into `project` by `importer` (None: the command line,
    run by whoever runs the server). Only a superuser (or the command line) may
    attribute work to this installation's users; anyone else's restore speaks for
    imported identities."""

    def __init__(self, project: Project, importer=None) -> None:
        self.project = project
        self.importer = importer
        self.trusted = importer is None or importer.is_superuser
        self.sources: dict[str, int] = {}
        self.labels: dict[tuple[str, str], Label] = {}
        self.targets: dict[str, StanceTarget] = {}
        self.entities: dict[str, Entity] = {}
        self.users: dict[tuple[str, str], object] = {}

    def forget(self) -> None:
        """Drop what was cached: rows made in a transaction that was rolled back."""
        for cache in (self.sources, self.labels, self.targets, self.entities):
            cache.clear()
        self.users.clear()

    # -- sources --------------------------------------------------------------------

    def publisher_id(self, name: str, url: str = "") -> int:
        """The publisher's Source: by name or alias, else by the article's domain
        (where reference ratings are keyed; the name joins its aliases), else new."""
        name = name.strip()[:300]
        key = name.casefold()
        if key not in self.sources:
            domain = domain_of(url)
            source = Source.objects.named(name)
            if source is None and domain:
                source = Source.objects.filter(domain=domain).order_by("id").first()
                if source is not None and key not in map(str.casefold, source.aliases):
                    source.aliases = [*source.aliases, name]
                    source.save(update_fields=["aliases"])
            if source is None:
                source = Source.objects.get_or_create_named(name, domain=domain)
            self.sources[key] = source.pk
        return self.sources[key]

    def source_id(self, name: str) -> int:
        key = name.strip().casefold()
        if key not in self.sources:
            self.sources[key] = Source.objects.get_or_create_named(name).pk
        return self.sources[key]

    # -- labels, targets, entities --------------------------------------------------

    def label(self, kind: str, name: str) -> Label:
        key = (kind, name.casefold())
        if key not in self.labels:
            self.labels[key] = Label.objects.get_or_create_named(
                self.project, kind=kind, name=name
            )
        return self.labels[key]

    def target(self, name: str) -> StanceTarget:
        name = (name or DEFAULT_TARGET)[:300]
        if name not in self.targets:
            self.targets[name], _ = StanceTarget.objects.get_or_create(
                project=self.project, name=name
            )
        return self.targets[name]

    def entity(self, name: str, label: Label | None = None) -> Entity:
        key = name.casefold()
        if key not in self.entities:
            self.entities[key] = Entity.objects.get_or_create_named(
                self.project, name, type=label
            )
        return self.entities[key]

    # -- people ---------------------------------------------------------------------

    def annotator_of(self, version: VersionRecord) -> Identity:
        """The user a version hangs off. Other tools' names, and any name in a file
        restored by someone who may not speak for this installation's users, become
        inactive "imported:<name>" identities."""
        if version.imported or not self.trusted:
            return Identity(self._imported(version.annotator), imported=True)
        role = Membership.Role.ANNOTATOR
        return Identity(self._member(version.annotator, role), imported=False)

    def reviewer_of(self, version: VersionRecord):
        """The reviewer a trusted restore names, made a member as a reviewer."""
        if not version.reviewer or not self.trusted:
            return None
        return self._member(version.reviewer, Membership.Role.REVIEWER)

    def _imported(self, name: str):
        username = f"{IMPORTED_PREFIX}{name}"[:150]
        key = (username, "")
        if key not in self.users:
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"is_active": False}
            )
            self.users[key] = user
        return self.users[key]

    def _member(self, username: str, role: str):
        """A user this installation knows (a new one inactive, without a password: a
        manager activates them), made a member of the project if they were not."""
        key = (username, role)
        if key not in self.users:
            user, created = get_user_model().objects.get_or_create(
                username=username[:150], defaults={"is_active": False}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user, project=self.project, defaults={"role": role}
            )
            self.users[key] = user
        return self.users[key]

    # -- a full file's project line -------------------------------------------------

    def apply_setup(self, setup: ProjectSetup) -> None:
        """Settings only to a project without documents (a restore never changes a
        project in use), then labels, entities, targets and sources, by name."""
        with transaction.atomic():
            if not self.project.documents.exists():
                self._apply_settings(setup)
            for item in setup.labels:
                self._setup_label(item)
            for item in setup.entities:
                label = self.labels.get((Label.Kind.ENTITY, item.type.casefold()))
                if item.type and label is None:
                    raise BadSetup(
                        f"entity {item.name!r}: its type {item.type!r} is not a label"
                    )
                entity = self.entity(item.name, label)
                if item.external_id and not entity.external_id:
                    entity.external_id = item.external_id[:100]
                    entity.save(update_fields=["external_id"])
                for alias in item.aliases:
                    entity.add_alias(alias)
            for item in setup.targets:
                target = self.target(item.name)
                if item.description or item.entity:
                    entity = self.entities.get(item.entity.casefold())
                    target.description = target.description or item.description
                    target.entity = target.entity or entity
                    target.save(update_fields=["description", "entity"])
            for item in setup.sources:
                self._setup_source(item)

    def _apply_settings(self, setup: ProjectSetup) -> None:
        project = self.project
        project.guidelines = setup.guidelines
        if setup.overlap is not None:
            project.overlap = setup.overlap
        if setup.blind is not None:
            project.blind = setup.blind
        project.save(update_fields=["guidelines", "overlap", "blind"])

    def _setup_label(self, item) -> None:
        if item.kind not in Label.Kind.values:
            raise BadSetup(f"label {item.name!r}: unknown kind {item.kind!r}")
        if item.kind == Label.Kind.RELIABILITY and item.value is None:
            raise BadSetup(f"reliability label {item.name!r} has no value")
        existing = Label.objects.filter(
            project=self.project, kind=item.kind, name__iexact=item.name
        ).first()
        if existing is None:
            values = {
                "colour": item.colour or None,
                "shortcut": item.shortcut,
                "value": item.value,
                "description": item.description,
                "position": item.position,
            }
            existing = Label.objects.get_or_create_named(
                self.project, kind=item.kind, name=item.name, **values
            )
        self.labels[(item.kind, item.name.casefold())] = existing

    def _setup_source(self, item) -> None:
        source = Source.objects.get_or_create_named(item.name, domain=item.domain)
        if not source.factuality and not source.bias and not source.reference:
            source.factuality = item.factuality[:30]
            source.bias = item.bias[:30]
            source.reference = item.reference
        known = {source.name.casefold(), *(a.casefold() for a in source.aliases)}
        missing = [a for a in item.aliases if a.casefold() not in known]
        source.aliases = [*source.aliases, *missing]
        source.save(update_fields=["factuality", "bias", "reference", "aliases"])
        self.sources[item.name.strip().casefold()] = source.pk
