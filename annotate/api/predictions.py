"""Predictions: a model version's spans (with scores) and stance probabilities for a
document, stored apart from people's work (annotate.models.Prediction). Offsets are
checked against the text, labels and targets against the project."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from annotate.access import Role, document_in
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import PredictionIn, PredictionOut
from annotate.models import Label, Prediction
from annotate.offsets import span_problem

router = Router(tags=["predictions"])
PATH = "/{slug}/documents/{int:pk}/predictions/"


def prediction_out(prediction: Prediction) -> dict:
    return {
        "id": prediction.pk,
        "document": prediction.document_id,
        "model_name": prediction.model_name,
        "model_version": prediction.model_version,
        "spans": prediction.spans,
        "stances": prediction.stances,
        "uncertainty": prediction.uncertainty,
        "created_at": prediction.created_at,
    }


@router.get(PATH, response=responses({200: list[PredictionOut]}))
def list_predictions(request: HttpRequest, slug: str, pk: int):
    """Every model version's predictions for the document, newest first."""
    document = document_in(access_to(request, slug), pk)
    return [
        prediction_out(p) for p in document.predictions.order_by("-created_at", "-id")
    ]


@router.put(PATH, response=responses({200: PredictionOut}))
def put_predictions(request: HttpRequest, slug: str, pk: int, payload: PredictionIn):
    """Store a model version's predictions for the document, replacing that version's
    earlier ones. Needs the manager role."""
    access = access_to(request, slug, Role.MANAGER)
    document = document_in(access, pk)
    spans, stances = checked(payload, document.text, *vocabulary(access.project))
    prediction, _ = Prediction.objects.update_or_create(
        document=document,
        model_name=payload.model_name,
        model_version=payload.model_version,
        defaults={
            "spans": spans,
            "stances": stances,
            "uncertainty": payload.uncertainty,
        },
    )
    return prediction_out(prediction)


def vocabulary(project) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """The project's label names by (kind, name in any case) and its stance targets'
    names by name in any case."""
    labels = {
        (label.kind, label.name.casefold()): label.name
        for label in project.labels.all()
    }
    targets = {
        t.casefold(): t for t in project.stance_targets.values_list("name", flat=True)
    }
    return labels, targets


def checked(
    payload: PredictionIn,
    text: str,
    labels: dict[tuple[str, str], str],
    targets: dict[str, str],
) -> tuple[list, list]:
    """The predictions as stored (label names as the project spells them), or a 422
    naming every item that does not fit the document or the project."""
    errors, spans, stances = [], [], []
    for n, span in enumerate(payload.spans):
        where = f"spans.{n}"
        problem = span_problem(
            text, span.start, span.end, snapshot=span.text, where=where
        )
        name = labels.get((Label.Kind.ENTITY, span.label.casefold()))
        if problem:
            errors.append({"field": where, "message": problem})
        elif name is None:
            errors.append(
                {
                    "field": f"{where}.label",
                    "message": f"no entity label {span.label!r} in this project",
                }
            )
        else:
            spans.append(
                {"start": span.start, "end": span.end, "label": name,
                 "text": text[span.start : span.end], "score": span.score}
            )  # fmt: skip
    for n, stance in enumerate(payload.stances):
        where = f"stances.{n}"
        target = targets.get(stance.target.casefold())
        if target is None:
            errors.append(
                {
                    "field": f"{where}.target",
                    "message": f"no stance target {stance.target!r} in this project",
                }
            )
            continue
        probabilities = {}
        for label, p in stance.probabilities.items():
            name = labels.get((Label.Kind.STANCE, label.casefold()))
            if name is None:
                errors.append(
                    {
                        "field": f"{where}.probabilities",
                        "message": f"no stance label {label!r} in this project",
                    }
                )
            elif not 0 <= p <= 1:
                errors.append(
                    {
                        "field": f"{where}.probabilities",
                        "message": f"{label}: {p} is not a probability",
                    }
                )
            else:
                probabilities[name] = p
        stances.append({"target": target, "probabilities": probabilities})
    if errors:
        raise ApiError(
            422, f"{len(errors)} predictions do not fit: {errors[0]['message']}", errors
        )
    return spans, stances
