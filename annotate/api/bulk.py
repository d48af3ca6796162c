"""Bulk create: a JSON array or NDJSON body streamed record by record into the loader
that import_documents uses (annotate.ingest.load.import_records), so the body is never
held whole and a re-sent body adds nothing (documents are unique by content hash).

Each record is checked first against the API's record schema (so a wrong type names
its field), then built by the JSONL reader's own record builder; its pre-annotations
must use the project's labels and stance targets, and their offsets must fit its
text. A record that fails becomes a Rejection at `api:<index>`, counted and reported
by the loader like any rejected line of a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pydantic
from django.conf import settings
from django.http import HttpRequest

from annotate.api import predictions
from annotate.api.core import ApiError
from annotate.api.schemas import DocumentIn
from annotate.ingest.load import import_records
from annotate.ingest.readers.files import peek_head
from annotate.ingest.readers.jsonl import RecordProblem, record_from_object
from annotate.ingest.readers.jsonstream import JsonRecord, iter_json
from annotate.ingest.records import (
    ClassRecord,
    DocumentRecord,
    RatingRecord,
    Rejection,
    VersionRecord,
)
from annotate.models import Document, ImportRun, Label, Prediction, Project
from annotate.offsets import span_problem

ORIGIN = "api"
CONTENT_TYPES = {
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
}
# Errors listed in one answer; the run keeps up to the loader's own limit.
ERRORS_SHOWN = 1000
DEFAULT_ANNOTATOR = "api"
FIELD_IN_MESSAGE = re.compile(r"field '(\w+)'|no '(\w+)'")


class Problem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Vocabulary:
    """The project's labels by (kind, name) and stance targets by name, any case."""

    labels: dict[tuple[str, str], Label]
    targets: dict[str, str]

    @property
    def label_names(self) -> dict[tuple[str, str], str]:
        return {key: label.name for key, label in self.labels.items()}

    @classmethod
    def of(cls, project: Project) -> Vocabulary:
        labels = {
            (label.kind, label.name.casefold()): label for label in project.labels.all()
        }
        targets = {
            name.casefold(): name
            for name in project.stance_targets.values_list("name", flat=True)
        }
        return cls(labels, targets)

    def label(self, kind: str, name: str, field: str) -> Label:
        label = self.labels.get((kind, name.strip().casefold()))
        if label is None:
            known = sorted(x.name for (k, _), x in self.labels.items() if k == kind)
            raise Problem(
                field,
                f"no {kind} label {name!r} in this project"
                + (f" (it has {', '.join(known)})" if known else ""),
            )
        return label


@dataclass
class Builder:
    """Turns the body's JSON values into DocumentRecords, or Rejections that name the
    record's index and, where one can be named, its field."""

    project: Project
    username: str
    vocabulary: Vocabulary
    fields: dict[int, str | None] = field(default_factory=dict)
    # Predictions of records read but not yet seen in the database, by content hash:
    # stored as each batch of the loader lands (flush), so they stay few.
    pending: dict[str, Prediction] = field(default_factory=dict)

    def items(
        self, values: Iterable[JsonRecord | Rejection]
    ) -> Iterator[DocumentRecord | Rejection]:
        for index, value in enumerate(values):
            origin = f"{ORIGIN}:{index}"
            if isinstance(value, Rejection):
                yield Rejection(origin, value.reason)
                continue
            try:
                yield self.record(index, value)
            except Problem as problem:
                if len(self.fields) < ERRORS_SHOWN:
                    self.fields[index] = problem.field
                yield Rejection(origin, str(problem))

    def record(self, index: int, value: JsonRecord) -> DocumentRecord:
        obj = value.value
        if not isinstance(obj, dict):
            raise Problem(None, f"expected a JSON object, got {type(obj).__name__}")
        try:
            checked = DocumentIn.model_validate(obj)
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise Problem(where, f"{where}: {first['msg']}") from None
        obj = {
            k: v
            for k, v in obj.items()
            if k not in ("stances", "ratings", "predictions")
        }
        try:
            record = record_from_object(
                obj, name=ORIGIN, line=index, source=value.source, fmt=ORIGIN
            )
        except RecordProblem as problem:
            raise Problem(_field_named_in(str(problem)), str(problem)) from None
        record.origin = f"{ORIGIN}:{index}"
        record.meta["import"] = {
            "format": ORIGIN,
            "index": index,
            "user": self.username,
        }
        self._annotations(record, checked)
        if checked.predictions is not None:
            self._predictions(record, checked.predictions)
        return record

    def _predictions(self, record: DocumentRecord, given) -> None:
        names = self.vocabulary
        try:
            spans, stances = predictions.checked(
                given, record.text, names.label_names, names.targets
            )
        except ApiError as error:
            raise Problem(
                f"predictions.{error.errors[0]['field']}", error.message
            ) from None
        self.pending[record.content_hash] = Prediction(
            model_name=given.model_name,
            model_version=given.model_version,
            spans=spans,
            stances=stances,
            uncertainty=given.uncertainty,
        )

    def flush(self, *_counts) -> None:
        """Store the predictions whose documents are in the database now (one query
        to find them, one to write them, whatever their number)."""
        if not self.pending:
            return
        found = Document.objects.filter(
            project=self.project, content_hash__in=list(self.pending)
        ).values_list("content_hash", "id")
        ready = []
        for content_hash, document_id in found:
            prediction = self.pending.pop(content_hash)
            prediction.document_id = document_id
            ready.append(prediction)
        Prediction.objects.bulk_create(
            ready,
            update_conflicts=True,
            unique_fields=["document", "model_name", "model_version"],
            update_fields=["spans", "stances", "uncertainty"],
        )

    def _annotations(self, record: DocumentRecord, checked: DocumentIn) -> None:
        """The pre-annotations as one imported version, every name checked."""
        words = self.vocabulary
        for span in record.spans:
            words.label(Label.Kind.ENTITY, span.label, "spans")
        if record.classes:
            raise Problem("label", 'give stances as \'stances\': [{"target", "label"}]')
        classes = []
        for n, stance in enumerate(checked.stances or ()):
            target = words.targets.get(stance.target.strip().casefold())
            if target is None:
                raise Problem(
                    f"stances.{n}.target",
                    f"no stance target {stance.target!r} in this project",
                )
            label = words.label(Label.Kind.STANCE, stance.label, f"stances.{n}.label")
            evidence = self._evidence(record.text, stance, f"stances.{n}")
            classes.append(ClassRecord(label.name, target, *evidence, note=stance.note))
        ratings = []
        for n, rating in enumerate(checked.ratings or ()):
            label = words.label(
                Label.Kind.RELIABILITY, rating.label, f"ratings.{n}.label"
            )
            evidence = self._evidence(record.text, rating, f"ratings.{n}")
            ratings.append(
                RatingRecord(
                    rating.source,
                    rating.role,
                    label.name,
                    *evidence,
                    rationale=rating.rationale,
                )  # fmt: skip
            )
        if record.spans or classes or ratings:
            annotator = record.annotator or DEFAULT_ANNOTATOR
            record.versions = [
                VersionRecord(annotator, list(record.spans), classes, ratings)
            ]
            record.spans, record.classes = [], []

    @staticmethod
    def _evidence(text: str, item, where: str) -> tuple[int | None, int | None, str]:
        start, end = item.evidence_start, item.evidence_end
        if start is None and end is None:
            return None, None, ""
        if start is None or end is None:
            raise Problem(
                f"{where}.evidence_start", "give both ends of the evidence, or neither"
            )
        if problem := span_problem(text, start, end, where=f"{where}: evidence"):
            raise Problem(f"{where}.evidence_start", problem)
        return start, end, text[start:end]


def _field_named_in(message: str) -> str | None:
    if match := FIELD_IN_MESSAGE.search(message):
        return match.group(1) or match.group(2)
    if message.startswith(("span ", "label ")):
        return "spans"
    return None


def body_stream(request: HttpRequest):
    """The request body as a buffered stream, after the checks that refuse it whole
    before anything is read: its type, a declared length, and the size limit."""
    content_type = request.content_type or ""
    if content_type not in CONTENT_TYPES:
        raise ApiError(
            415,
            "Send the documents as application/json (an array) or "
            "application/x-ndjson (one object a line).",
        )
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        raise ApiError(411, "Give the body's Content-Length.")
    if int(length) > settings.API_MAX_BODY_BYTES:
        raise ApiError(
            413,
            f"The body is {int(length) // 2**20} MB; the limit is "
            f"{settings.API_MAX_BODY_BYTES // 2**20} MB: send it in parts.",
        )
    if int(length) == 0:
        raise ApiError(422, "The body is empty: send at least one document.")
    _head, stream = peek_head(request)
    return stream


def bulk_create(
    request: HttpRequest, project: Project, *, strict: bool
) -> tuple[int, dict]:
    """Load the body's documents; the status and the summary with every error."""
    stream = body_stream(request)
    run = ImportRun.objects.create(
        project=project, user=request.user, format=ORIGIN, files=["API request"],
        strict=strict,
    )  # fmt: skip
    builder = Builder(project, request.user.username, Vocabulary.of(project))
    items = builder.items(iter_json(stream, ORIGIN))
    import_records(
        items, project=project, run=run, strict=strict, importer=request.user,
        on_progress=None if strict else builder.flush,
    )  # fmt: skip
    if not strict or not run.rejected:  # strict and refused: nothing is written
        builder.flush()
    errors = [
        _error(rejection, builder.fields) for rejection in run.rejections[:ERRORS_SHOWN]
    ]
    nothing_kept = not run.imported and not run.duplicates
    refused = not run.read or bool(run.rejected and (strict or nothing_kept))
    result = {
        "message": _message(run, refused),
        "run": run.pk,
        "status": run.status,
        "read": run.read,
        "imported": run.imported,
        "duplicates": run.duplicates,
        "merged": run.merged,
        "rejected": run.rejected,
        "errors": errors,
        "errors_truncated": run.rejected > len(errors),
    }
    return (422 if refused else 200), result


def _message(run: ImportRun, refused: bool) -> str:
    if not run.read:
        return "The body holds no documents."
    if refused:
        return (
            f"{run.rejected} of {run.read} records were rejected and nothing was "
            "loaded: see errors"
        )
    return run.summary()


def _error(rejection: dict, fields: dict[int, str | None]) -> dict:
    origin = rejection["origin"]
    index = int(origin.rsplit(":", 1)[1]) if origin.startswith(f"{ORIGIN}:") else -1
    field_name = (
        fields.get(index) if index in fields else _field_named_in(rejection["reason"])
    )
    return {"index": index, "field": field_name, "message": rejection["reason"]}
