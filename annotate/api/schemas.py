"""What the API takes and gives, as typed schemas: the OpenAPI description is made
from these, and requests are checked against them before any domain code runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt, field_validator

from annotate.ingest.records import holds_nul

# Bounds that keep generated or hostile input inside what the database stores.
NAME = Field(min_length=1, max_length=300)
OFFSET = Field(ge=0, le=2**31 - 1)
MAYBE_OFFSET = Field(default=None, ge=0, le=2**31 - 1)
ID = Field(ge=1, le=2**63 - 1)


class InSchema(Schema):
    """What callers send: no text of it may hold a NUL character, which PostgreSQL
    cannot store (a 422 naming the field, never a 500)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if holds_nul(value):
            raise ValueError("holds a NUL character (\\u0000), which cannot be stored")
        return value


class FieldError(Schema):
    field: str | None = Field(
        description="Where: a dotted path into the body or query."
    )
    message: str
    index: int | None = Field(
        default=None, description="For a bulk create: the record's position, from 0."
    )


class ErrorOut(Schema):
    message: str
    errors: list[FieldError] | None = None


# Projects


class LabelOut(Schema):
    id: int
    kind: str
    name: str
    colour: str
    shortcut: str
    value: int | None
    description: str


class TargetOut(Schema):
    id: int
    name: str
    description: str


class ProjectSummary(Schema):
    slug: str
    name: str
    role: str = Field(description="Your role: annotator, reviewer or manager.")
    blind: bool
    overlap: int
    document_count: int
    created_at: datetime


class ProjectCounts(Schema):
    """Counted over the versions you may see (your own in a blind project)."""

    documents: int
    versions: int
    submitted: int
    accepted: int
    rejected: int
    gold: int


class ProjectOut(ProjectSummary):
    guidelines: str
    labels: list[LabelOut]
    stance_targets: list[TargetOut]
    reliability_scale: list[LabelOut] = Field(
        description="The reliability labels, low to high by value."
    )
    counts: ProjectCounts


class ProjectIn(InSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    guidelines: str = Field(default="", max_length=100_000)
    overlap: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Default: the template's, or the copy's.",
    )
    blind: bool | None = Field(
        default=None, description="Default: the template's, or the copy's."
    )
    template: Literal["news", "entities", "stance", "blank"] = "news"
    copy_from: str | None = Field(
        default=None,
        max_length=100,
        description="Copy labels and stance targets from this project of yours instead.",
    )


# Documents


class SpanIn(InSchema):
    start: StrictInt = OFFSET
    end: StrictInt = OFFSET
    label: str = Field(min_length=1, max_length=100, description="An entity label.")
    text: str | None = Field(
        default=None, description="The text at start-end, checked when given."
    )
    entity: str | None = Field(default=None, max_length=300)


class StanceIn(InSchema):
    target: str = Field(min_length=1, max_length=300)
    label: str = Field(min_length=1, max_length=100)
    evidence_start: StrictInt | None = MAYBE_OFFSET
    evidence_end: StrictInt | None = MAYBE_OFFSET
    note: str = Field(default="", max_length=2000)


class RatingIn(InSchema):
    source: str = NAME
    role: Literal["publisher", "cited"]
    label: str = Field(min_length=1, max_length=100)
    evidence_start: StrictInt | None = MAYBE_OFFSET
    evidence_end: StrictInt | None = MAYBE_OFFSET
    rationale: str = Field(default="", max_length=2000)


# Predictions


class PredictedSpan(InSchema):
    start: StrictInt = OFFSET
    end: StrictInt = OFFSET
    label: str = Field(min_length=1, max_length=100)
    score: float = Field(ge=0, le=1)
    text: str | None = None


class PredictedStance(InSchema):
    target: str = Field(min_length=1, max_length=300)
    probabilities: dict[str, float] = Field(
        description="Stance label name to probability."
    )


class PredictionIn(InSchema):
    model_name: str = Field(min_length=1, max_length=100)
    model_version: str = Field(min_length=1, max_length=100)
    spans: list[PredictedSpan] = Field(default_factory=list, max_length=10_000)
    stances: list[PredictedStance] = Field(default_factory=list, max_length=1000)
    uncertainty: float | None = Field(default=None, ge=0, le=1)


class DocumentIn(InSchema):
    """One article of a bulk create: the fields of a JSONL import record (docs/api.md).
    Other keys are kept in `meta`. `spans`, `stances` and `ratings` are pre-annotations,
    stored as one imported version by `annotator`."""

    model_config = ConfigDict(extra="allow")

    text: str | None = Field(default=None, description="Required unless html is given.")
    html: str | None = None
    id: str | int | None = Field(default=None, description="Your id for it.")
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    byline: str | None = None
    language: str | None = None
    story_key: str | None = None
    published_at: str | None = Field(default=None, description="ISO 8601.")
    meta: dict[str, Any] | None = None
    tags: list[str] | None = None
    spans: list[SpanIn] | None = None
    stances: list[StanceIn] | None = None
    ratings: list[RatingIn] | None = None
    annotator: str | None = Field(
        default=None, max_length=100, description="Who made the pre-annotations."
    )
    predictions: PredictionIn | None = Field(
        default=None,
        description="A model's predictions, stored apart from people's work "
        "(as PUT .../predictions/ would).",
    )


class BulkResult(Schema):
    message: str
    run: int = Field(description="The import run: GET .../imports/{run}/.")
    status: str
    read: int
    imported: int
    duplicates: int
    merged: int
    rejected: int
    errors: list[FieldError] = Field(
        description="Each rejected record: index, field, why."
    )
    errors_truncated: bool


class DocumentSummary(Schema):
    id: int
    external_id: str
    title: str
    url: str
    publisher: str | None
    published_at: datetime | None
    language: str
    story_key: str
    created_at: datetime


class DocumentOut(DocumentSummary):
    text: str
    byline: str
    meta: dict[str, Any]
    content_hash: str


class DocumentPage(Schema):
    items: list[DocumentSummary]
    next_after: int | None = Field(
        description="Pass as ?after= for the next page; null on the last."
    )


# Annotations


class SpanOut(Schema):
    id: int
    start: int
    end: int
    label: int
    label_name: str
    text: str
    entity: str | None
    origin: str


class StanceOut(Schema):
    target: int
    target_name: str
    label: int
    label_name: str
    evidence_start: int | None
    evidence_end: int | None
    evidence_text: str
    note: str


class RatingOut(Schema):
    source: str
    role: str
    label: int
    label_name: str
    evidence_start: int | None
    evidence_end: int | None
    evidence_text: str
    rationale: str


class VersionOut(Schema):
    id: int = Field(description="The version (assignment) id.")
    document: int
    annotator: str
    is_gold: bool
    status: str
    review_state: str
    reviewer: str | None
    review_comment: str
    version: int = Field(description="Bumped by every change; send it back with yours.")
    updated_at: datetime
    submitted_at: datetime | None
    spans: list[SpanOut]
    stances: list[StanceOut]
    ratings: list[RatingOut]


class QueueOut(Schema):
    version: VersionOut | None = Field(description="null: nothing left to label.")


class Seen(InSchema):
    """What the client last saw, as the screen sends it: a change from an out-of-date
    view that would undo someone's work is refused with 409."""

    version: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)
    seen_label: StrictInt | None = Field(default=None, ge=0, le=2**63 - 1)


class SpanCreate(Seen):
    start: StrictInt = OFFSET
    end: StrictInt = OFFSET
    text: str = Field(description="The text at start-end, as a check of the offsets.")
    label: StrictInt = ID


class SpanChange(Seen):
    label: StrictInt = ID


class StanceSet(Seen):
    target: StrictInt = ID
    label: StrictInt = ID
    note: str | None = Field(default=None, max_length=2000)
    evidence_start: StrictInt | None = MAYBE_OFFSET
    evidence_end: StrictInt | None = MAYBE_OFFSET


class RatingSet(Seen):
    source: str = NAME
    role: Literal["publisher", "cited"]
    label: StrictInt = ID
    rationale: str | None = Field(default=None, max_length=2000)
    evidence_start: StrictInt | None = MAYBE_OFFSET
    evidence_end: StrictInt | None = MAYBE_OFFSET


class ReviewIn(InSchema):
    action: Literal["accept", "reject"]
    comment: str = Field(default="", max_length=5000)
    version: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)


class UndoOut(Schema):
    undone: str | None = Field(description="The action undone; null: nothing to undo.")
    description: str | None = Field(
        description='What was undone, in words ("span “Bamako” GPE").'
    )
    version: VersionOut


class PredictionOut(Schema):
    id: int
    document: int
    model_name: str
    model_version: str
    spans: list[dict[str, Any]]
    stances: list[dict[str, Any]]
    uncertainty: float | None
    created_at: datetime


# Runs and exports


class ImportRunOut(Schema):
    id: int
    status: str
    format: str
    started_at: datetime
    finished_at: datetime | None
    read: int
    imported: int
    duplicates: int
    merged: int
    rejected: int
    rejections: list[dict[str, Any]]
    error: str


ExportFormat = Literal[
    "documents", "spans", "doccano", "bio", "stance", "reliability", "full"
]
Selection = Literal["gold", "all", "majority"]


class ExportIn(InSchema):
    format: ExportFormat
    selection: Selection | None = None
    split: str | None = Field(default=None, max_length=30, description="e.g. 80/10/10")
    split_by: Literal["story", "source", "document"] = "story"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class ExportRunOut(Schema):
    id: int
    status: str
    format: str
    options: dict[str, Any]
    lines: int
    started_at: datetime
    finished_at: datetime | None
    error: str
    downloads: list[str] = Field(description="URLs of the finished files.")


# Webhooks


EventName = Literal[
    "document.submitted",
    "version.accepted",
    "version.rejected",
    "gold.changed",
    "import.finished",
    "export.finished",
]


class WebhookIn(InSchema):
    url: str = Field(min_length=1, max_length=2000)
    events: list[EventName] = Field(min_length=1)
    active: bool = True


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: signs every delivery (docs/api.md).")


class DeliveryOut(Schema):
    id: int
    event: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
