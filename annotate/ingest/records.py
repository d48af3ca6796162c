"""What every reader yields: plain records that know nothing of the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """A labelled character span; offsets are Python string indices (code points)."""

    start: int
    end: int
    label: str
    text: str
    entity: str = ""


@dataclass(frozen=True, slots=True)
class ClassRecord:
    """A document-level label from a peer tool (a classification, a stance)."""

    label: str
    target: str = ""


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

    @property
    def content_hash(self) -> str:
        # The text is what annotators label, so it is what makes two records the same
        # document; an empty text (a page with no prose) falls back to the raw input.
        basis = self.text if self.text.strip() else self.raw
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be imported, with where it was and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"
