"""The domain model (see DESIGN.md): one module per part, re-exported here."""

from __future__ import annotations

from annotate.models.annotations import (
    Assignment,
    AssignmentChange,
    DismissedSuggestion,
    Rating,
    Span,
    Stance,
    TermUse,
)
from annotate.models.api import ApiToken, ApiWriteCount, Delivery, Webhook
from annotate.models.assist import ModelRun
from annotate.models.documents import Document, Entity, Source
from annotate.models.people import Invitation
from annotate.models.predictions import (
    ModelServerEvent,
    Prediction,
    PredictionOutcome,
)
from annotate.models.projects import (
    DEFAULT_LABELS,
    LABEL_PALETTE,
    SCREEN_KEYS,
    Label,
    Membership,
    Project,
    StanceTarget,
    add_default_labels,
    key_problem,
    next_colour,
)
from annotate.models.review import ReviewEvent, SourceMerge
from annotate.models.runs import ExportRun, ImportRun
from annotate.models.snapshots import StatisticsSnapshot

__all__ = [
    "DEFAULT_LABELS",
    "ApiToken",
    "ApiWriteCount",
    "LABEL_PALETTE",
    "SCREEN_KEYS",
    "Assignment",
    "AssignmentChange",
    "Delivery",
    "DismissedSuggestion",
    "Document",
    "Entity",
    "ExportRun",
    "ImportRun",
    "Invitation",
    "Label",
    "Membership",
    "ModelRun",
    "ModelServerEvent",
    "Prediction",
    "PredictionOutcome",
    "Project",
    "Rating",
    "ReviewEvent",
    "Source",
    "SourceMerge",
    "Span",
    "Stance",
    "StanceTarget",
    "TermUse",
    "StatisticsSnapshot",
    "Webhook",
    "add_default_labels",
    "key_problem",
    "next_colour",
]
