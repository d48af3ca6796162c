"""What every reader yields: plain records that know nothing of the database.

A DocumentRecord is one article; what people or tools said about it travels with it,
as `spans` / `classes` made by `annotator` (the peer tools' shape) or as whole
`versions` (newsapp's full format: every annotator's assignment, gold included).
A `full` file starts with a ProjectSetup: the labels, targets, entities and sources
its documents refer to by name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """A labelled character span; offsets are Python string indices (code points).
    `origin` is how it was made where it comes from (manual, suggested, imported);
    empty means imported."""

    start: int
    end: int
    label: str
    text: str
    entity: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ClassRecord:
    """A document-level label (a classification, a stance) toward `target`, with
    optional evidence in the text and a note."""

    label: str
    target: str = ""
    evidence_start: int | None = None
    evidence_end: int | None = None
    evidence_text: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class RatingRecord:
    """A reliability grade of a source in a role (publisher or cited)."""

    source: str
    role: str
    label: str
    evidence_start: int | None = None
    evidence_end: int | None = None
    evidence_text: str = ""
    rationale: str = ""


@dataclass(slots=True)
class VersionRecord:
    """One annotator's (or one tool's) work on a document, as an Assignment will hold
    it. `imported` names an identity of another tool, never a user of this
    installation; a restore may ask for real users (imported=False), which the loader
    grants only to those trusted to speak for them."""

    annotator: str
    spans: list[SpanRecord] = field(default_factory=list)
    classes: list[ClassRecord] = field(default_factory=list)
    ratings: list[RatingRecord] = field(default_factory=list)
    imported: bool = True
    is_gold: bool = False
    status: str = "submitted"
    review_state: str = "pending"
    reviewer: str = ""
    review_comment: str = ""
    reviewed_at: datetime | None = None
    submitted_at: datetime | None = None


@dataclass(slots=True)
class DocumentRecord:
    """One article as read from a file, before it becomes a Document row.

    `origin` is ``FILE:LINE`` of the record, used in reports. `annotator` names who
    made the imported `spans`/`classes` (a peer tool, or a user it names).
    """

    text: str
    raw: str
    origin: str
    title: str = ""
    external_id: str = ""
    url: str = ""
    publisher: str = ""
    byline: str = ""
    published_at: datetime | None = None
    language: str = ""
    story_key: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    spans: list[SpanRecord] = field(default_factory=list)
    classes: list[ClassRecord] = field(default_factory=list)
    annotator: str = ""
    versions: list[VersionRecord] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        # The text is what annotators label, so it is what makes two records the same
        # document; an empty text (a page with no prose) falls back to the raw input.
        basis = self.text if self.text.strip() else self.raw
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()

    def annotation_versions(self) -> list[VersionRecord]:
        """Everything said about the document, as versions: the peer tools' spans and
        classes are one version by their annotator."""
        versions = list(self.versions)
        if self.spans or self.classes:
            shared = VersionRecord(
                self.annotator or "import", list(self.spans), list(self.classes)
            )
            versions.insert(0, shared)
        return versions


@dataclass(frozen=True, slots=True)
class LabelRecord:
    kind: str
    name: str
    colour: str = ""
    shortcut: str = ""
    value: int | None = None
    description: str = ""
    position: int | None = None


@dataclass(frozen=True, slots=True)
class EntityRecord:
    name: str
    type: str = ""
    aliases: tuple[str, ...] = ()
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class TargetRecord:
    name: str
    description: str = ""
    entity: str = ""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    name: str
    aliases: tuple[str, ...] = ()
    domain: str = ""
    factuality: str = ""
    bias: str = ""
    reference: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ProjectSetup:
    """The first line of a full file: the project's settings (applied only to a project
    without documents) and everything its documents refer to by name."""

    origin: str
    guidelines: str = ""
    overlap: int | None = None
    blind: bool | None = None
    labels: list[LabelRecord] = field(default_factory=list)
    entities: list[EntityRecord] = field(default_factory=list)
    targets: list[TargetRecord] = field(default_factory=list)
    sources: list[SourceRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be imported, with where it was and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


type ReadItem = DocumentRecord | ProjectSetup | Rejection


def holds_nul(value: Any) -> bool:
    """Whether a NUL character, which PostgreSQL cannot store, is anywhere in a JSON
    value, its keys included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False
