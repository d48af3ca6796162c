"""Asking a project's model server for predictions, in the task worker: /health, then
/setup with the project's labelling config, then /predict for the documents in chunks;
each answer's regions are checked (offsets inside the text, labels of the project) and
stored as one Prediction per document, named by the server's model_version.

Nothing a server does breaks a screen: a timeout, an HTTP error or a body that is not
JSON stops the run with one logged error; an item that does not fit (offsets outside
the text, an unknown label) is logged and left out, the rest of the answer kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task

from annotate.ingest.readers.labelstudio import _code_points_from_utf16
from annotate.mlbackend import client
from annotate.mlbackend.config import (
    SPAN_FIELD,
    STANCE_PREFIX,
    TEXT,
    labelling_config,
)
from annotate.models import Document, Label, ModelServerEvent, Prediction, Project

Level = ModelServerEvent.Level
# Item problems logged per run; the rest are counted in the run's summary.
LOGGED_PROBLEMS = 20


@dataclass
class Run:
    project: Project
    config: str
    model_version: str = ""
    documents: int = 0
    spans: int = 0
    problems: list[tuple[str, Document | None]] = field(default_factory=list)


def log(project: Project, step: str, message: str, *, level=Level.ERROR, document=None):
    ModelServerEvent.objects.create(
        project=project, step=step, level=level, message=message, document=document
    )


def project_key(project: Project) -> str:
    """How Label Studio names a project to its ML backends: id.created timestamp."""
    return f"{project.pk}.{int(project.created_at.timestamp())}"


@task
def fetch_predictions(project_id: int, document_ids: list[int] | None = None) -> None:
    """The worker's task: predictions for the project's documents (or those given)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is not None and project.model_server_url:
        predict_documents(project, document_ids)


@task
def request_training(project_id: int) -> None:
    """The worker's task: tell the server to train (Label Studio's START_TRAINING)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not project.model_server_url:
        return
    body = {
        "action": "START_TRAINING",
        "project": {"id": project.pk, "label_config": labelling_config(project)},
    }
    try:
        answer = client.call(project, "/webhook", body)
    except client.ServerProblem as problem:
        log(project, "train", str(problem))
        return
    log(project, "train", f"Training requested: {answer}"[:500], level=Level.INFO)


def predict_documents(project: Project, document_ids: list[int] | None = None) -> Run:
    run = Run(project, labelling_config(project))
    documents = Document.objects.for_project(project).order_by("id").only("id", "text")
    if document_ids is not None:
        documents = documents.filter(pk__in=document_ids)
    try:
        _check_health(project)
        _set_up(run)
        for chunk in batched(documents.iterator(), settings.MODEL_SERVER_CHUNK):
            _predict_chunk(run, list(chunk))
    except client.ServerProblem as problem:
        log(project, "predict", str(problem))
    for message, document in run.problems[:LOGGED_PROBLEMS]:
        log(project, "predict", message, document=document)
    left = len(run.problems) - LOGGED_PROBLEMS
    summary = (
        f"Stored {run.model_version or 'the server'}'s predictions for "
        f"{run.documents} documents ({run.spans} spans)"
    )
    if run.problems:
        summary += f"; {len(run.problems)} items refused"
        summary += f" ({left} more not listed)" if left > 0 else ""
    if run.documents or run.problems:
        log(project, "predict", summary + ".", level=Level.INFO)
    return run


def _check_health(project: Project) -> None:
    answer = client.call(project, "/health")
    if not isinstance(answer, dict) or answer.get("status") != "UP":
        raise client.ServerProblem(
            f"{client.url_of(project, '/health')} did not say it is up: {answer!r}"[
                :500
            ]
        )


def _set_up(run: Run) -> None:
    body = {"project": project_key(run.project), "schema": run.config}
    body |= {"hostname": "", "access_token": ""}
    answer = client.call(run.project, "/setup", body)
    if isinstance(answer, dict) and isinstance(answer.get("model_version"), str):
        run.model_version = answer["model_version"]


def _predict_chunk(run: Run, documents: list[Document]) -> None:
    body = {
        "tasks": [{"id": d.pk, "data": {TEXT: d.text}} for d in documents],
        "project": project_key(run.project),
        "label_config": run.config,
        "params": {"login": None, "password": None, "context": None},
    }
    answer = client.call(run.project, "/predict", body)
    results = answer.get("results") if isinstance(answer, dict) else answer
    url = client.url_of(run.project, "/predict")
    if not isinstance(results, list):
        raise client.ServerProblem(f"{url} answered without a list of results")
    if isinstance(answer, dict) and isinstance(answer.get("model_version"), str):
        run.model_version = answer["model_version"] or run.model_version
    labels, targets = _vocabulary(run.project)
    rows = []
    for document, result in zip(documents, results, strict=False):
        row = _prediction(run, document, result, labels, targets)
        if row is not None:
            rows.append(row)
    if len(results) != len(documents):
        run.problems.append(
            (f"{url} answered {len(results)} results for {len(documents)} tasks", None)
        )
    _store(run, rows)


def _vocabulary(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """Entity and stance label names; stance targets' names by <Choices> name."""
    labels = {
        (label.kind, label.name): label.name
        for label in project.labels.all()
        if not label.retired
    }
    targets = {
        f"{STANCE_PREFIX}{pk}": name
        for pk, name in project.stance_targets.values_list("pk", "name")
    }
    return labels, targets


def _prediction(
    run: Run, document: Document, result: Any, labels: dict, targets: dict
) -> dict | None:
    """One task's answer as a Prediction's fields, the items that fit only."""
    where = f"document {document.pk}"
    if not isinstance(result, dict) or not isinstance(result.get("result"), list):
        run.problems.append((f"{where}: the answer has no 'result' list", document))
        return None
    overall = _number(result.get("score"))
    spans, stances = [], []
    for region in result["result"]:
        problem = _region(document, region, labels, targets, spans, stances, overall)
        if problem:
            run.problems.append((f"{where}: {problem}", document))
    scores = [s["score"] for s in spans if s["score"] is not None]
    if overall is not None:
        uncertainty = 1 - overall
    elif scores:
        uncertainty = 1 - sum(scores) / len(scores)
    else:
        uncertainty = None
    version = str(result.get("model_version") or run.model_version or "model server")
    return {
        "document": document,
        "version": version[:100],
        "spans": spans,
        "stances": stances,
        "uncertainty": None if uncertainty is None else min(1.0, max(0.0, uncertainty)),
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _region(document, region, labels, targets, spans, stances, overall) -> str:
    """Add one region to `spans` or `stances`; what was wrong with it, or ""."""
    if not isinstance(region, dict) or not isinstance(region.get("value"), dict):
        return f"a region that is not an object with a 'value': {region!r}"[:300]
    value, kind = region["value"], region.get("type")
    score = _number(region.get("score"))
    score = overall if score is None else score
    if kind == "labels" and region.get("from_name", SPAN_FIELD) == SPAN_FIELD:
        return _span(document.text, value, labels, score, spans)
    if kind == "choices":
        target = targets.get(region.get("from_name"))
        if target is None:
            return f"choices for an unknown field {region.get('from_name')!r}"
        chosen = value.get("choices")
        if not isinstance(chosen, list) or len(chosen) != 1:
            return f"choices must be a list of one label, not {chosen!r}"[:300]
        if (Label.Kind.STANCE, chosen[0]) not in labels:
            return f"unknown stance label {chosen[0]!r} for target {target!r}"
        p = 1.0 if score is None else score
        stances.append({"target": target, "probabilities": {chosen[0]: p}})
        return ""
    return f"a region of type {kind!r} for {region.get('from_name')!r}, not asked for"


def _span(text: str, value: dict, labels: dict, score, spans: list) -> str:
    start, end, names = value.get("start"), value.get("end"), value.get("labels")
    if not isinstance(names, list) or len(names) != 1:
        return f"labels must be a list of one label, not {names!r}"[:300]
    name = names[0]
    if (Label.Kind.ENTITY, name) not in labels:
        return f"unknown entity label {name!r}"[:300]
    fits = (
        isinstance(start, int)
        and isinstance(end, int)
        and not isinstance(start, bool)
        and 0 <= start < end <= len(text)
    )
    if fits and isinstance(value.get("text"), str) and text[start:end] != value["text"]:
        fits = False
    if not fits:  # Label Studio counts UTF-16 units: after an emoji, read them so
        offsets = None
        if (
            isinstance(end, int)
            and end <= len(text.encode("utf-16-le", "surrogatepass")) // 2
        ):
            offsets = _code_points_from_utf16(text, start, end)
        if offsets is None or offsets[0] >= offsets[1]:
            expected = value.get("text")
            covering = f" or do not cover {expected!r}" if expected is not None else ""
            return (
                f"offsets {start!r}–{end!r} ({name}) are outside the text "
                f"({len(text)} characters){covering}"
            )[:300]
        start, end = offsets
    spans.append(
        {"start": start, "end": end, "label": name, "text": text[start:end],
         "score": score}
    )  # fmt: skip
    return ""


def _store(run: Run, rows: list[dict]) -> None:
    """One Prediction per document and version, replacing that version's earlier
    one; one transaction per chunk, so a run stopped half-way leaves whole rows."""
    with transaction.atomic():
        for row in rows:
            Prediction.objects.update_or_create(
                document=row["document"],
                model_name=row["version"],
                model_version=row["version"],
                defaults={
                    "spans": row["spans"],
                    "stances": row["stances"],
                    "uncertainty": row["uncertainty"],
                },
            )
            run.documents += 1
            run.spans += len(row["spans"])
