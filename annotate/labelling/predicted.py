"""Predictions on the annotation screen: a model's spans drawn as suggestions told apart
by their source and confidence ("ORG 0.87"), above the project's threshold; a model's
stance shown beside its target, never saved until the annotator confirms it; and what
the annotator did with each (PredictionOutcome), settled when they submit.

Only Prediction rows are read, computed ahead (imports, the API, the recommenders, an
external model server): nothing is predicted during a request. A prediction is a
model's output, never a person's version of the document, so a blind project may show
it; nothing here reads anyone's spans but the annotator's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.models import Assignment, Label, Prediction, PredictionOutcome

Fate = PredictionOutcome.Fate


@dataclass(frozen=True, slots=True)
class PredictedSuggestion:
    """A predicted span drawn as a suggestion: the same keys accept and dismiss it."""

    start: int
    end: int
    label_id: int
    text: str
    score: float
    source: str  # the model's name
    prediction_id: int

    @property
    def key(self) -> str:
        return f"{self.start}-{self.end}-{self.label_id}"


def latest_predictions(assignment: Assignment) -> list[Prediction]:
    """The newest version of each model's predictions for the document, one query,
    read once per assignment object (the text and the stance panel share it)."""
    cached = getattr(assignment, "_latest_predictions", None)
    if cached is None:
        cached = list(
            Prediction.objects.filter(document_id=assignment.document_id)
            .order_by("model_name", "-created_at", "-id")
            .distinct("model_name")
        )
        assignment._latest_predictions = cached
    return cached


def _score(item: dict) -> float | None:
    score = item.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        return None
    return float(score)


def predicted_spans(assignment: Assignment) -> list[PredictedSuggestion]:
    """Every predicted span that fits the text and names a label still offered, the
    best scoring one per (start, end, label), whatever the threshold."""
    document = assignment.document
    text = document.text
    label_of = {
        label.name: label.pk
        for label in document.project.label_list
        if label.kind == Label.Kind.ENTITY and not label.retired
    }
    best: dict[tuple[int, int, int], PredictedSuggestion] = {}
    for prediction in latest_predictions(assignment):
        for item in prediction.spans or []:
            if not isinstance(item, dict):
                continue
            start, end = item.get("start"), item.get("end")
            label_id = label_of.get(item.get("label"))
            if (
                label_id is None
                or not isinstance(start, int)
                or not isinstance(end, int)
                or not 0 <= start < end <= len(text)
            ):
                continue  # stored before a label was retired, or malformed: not shown
            score = _score(item)
            found = PredictedSuggestion(
                start,
                end,
                label_id,
                text[start:end],
                1.0 if score is None else score,
                prediction.model_name,
                prediction.pk,
            )
            key = (start, end, label_id)
            if key not in best or best[key].score < found.score:
                best[key] = found
    return sorted(best.values(), key=lambda s: (s.start, -s.end, s.label_id))


def predicted_suggestions(
    assignment: Assignment, own_spans: list
) -> list[PredictedSuggestion]:
    """The predicted spans to draw: above the project's threshold, not where the
    annotator has a span already, not dismissed."""
    threshold = assignment.document.project.prediction_threshold
    shown = [s for s in predicted_spans(assignment) if s.score >= threshold]
    if not shown:
        return []
    taken = {(span.start, span.end) for span in own_spans}
    dismissed = set(
        assignment.dismissed_suggestions.values_list("start", "end", "label_id")
    )
    return [
        s
        for s in shown
        if (s.start, s.end) not in taken
        and (s.start, s.end, s.label_id) not in dismissed
    ]


def merged(dictionary: list, predicted: list[PredictedSuggestion]) -> list:
    """The dictionary's suggestions and the model's, in text order; where both
    propose the same span and label, the model's (it carries a confidence)."""
    keys = {s.key for s in predicted}
    both = [s for s in dictionary if s.key not in keys] + list(predicted)
    return sorted(both, key=lambda s: (s.start, -s.end, s.label_id))


def shown_name(suggestion, names: dict[int, str]) -> str:
    """A suggestion's label as the list beside the text names it: "ORG 0.87" for a
    predicted one."""
    name = names.get(suggestion.label_id, "")
    if isinstance(suggestion, PredictedSuggestion):
        return f"{name} {suggestion.score:.2f}"
    return name


# Stance


@dataclass(frozen=True, slots=True)
class PredictedStance:
    label: Label
    probability: float
    source: str
    prediction_id: int


def predicted_stances(assignment: Assignment) -> dict[str, PredictedStance]:
    """Each stance target's most probable predicted label (by target name), the most
    confident model's when several predict it."""
    labels = {
        label.name: label
        for label in assignment.document.project.label_list
        if label.kind == Label.Kind.STANCE and not label.retired
    }
    found: dict[str, PredictedStance] = {}
    for prediction in latest_predictions(assignment):
        for item in prediction.stances or []:
            if not isinstance(item, dict) or not isinstance(
                item.get("probabilities"), dict
            ):
                continue
            scored = [
                (p, labels[name])
                for name, p in item["probabilities"].items()
                if name in labels and isinstance(p, int | float)
            ]
            if not scored:
                continue
            p, label = max(scored, key=lambda pair: pair[0])
            target = item.get("target")
            if target not in found or found[target].probability < p:
                found[target] = PredictedStance(
                    label, float(p), prediction.model_name, prediction.pk
                )
    return found


def mark_targets(assignment: Assignment, targets: list) -> None:
    """Give each (target, stance, evidence) row's target without a stance its
    prediction (`target.predicted`), shown lightly until confirmed."""
    if not any(stance is None for _, stance, _ in targets):
        return
    predicted = predicted_stances(assignment)
    for target, stance, _ in targets:
        target.predicted = predicted.get(target.name) if stance is None else None


# Outcomes


def _span_key(start: int, end: int, label_name: str) -> str:
    return f"{start}-{end}-{label_name}"


def record(
    assignment: Assignment, *, start: int, end: int, label: Label, fate: str
) -> int:
    """Note what the annotator just did to a suggestion, if a model predicted it
    (accept, dismiss); returns how many predictions it was."""
    hits = [
        s
        for s in predicted_spans(assignment)
        if (s.start, s.end, s.label_id) == (start, end, label.pk)
    ]
    for hit in hits:
        PredictionOutcome.objects.update_or_create(
            prediction_id=hit.prediction_id,
            assignment=assignment,
            kind="span",
            key=_span_key(start, end, label.name),
            defaults={"fate": fate},
        )
    return len(hits)


def record_all(assignment: Assignment, suggestions: list, fate: str) -> None:
    """`record` for every predicted one among `suggestions` (accept all)."""
    names = {label.pk: label.name for label in assignment.document.project.label_list}
    rows = [
        PredictionOutcome(
            prediction_id=s.prediction_id,
            assignment=assignment,
            kind="span",
            key=_span_key(s.start, s.end, names[s.label_id]),
            fate=fate,
        )
        for s in suggestions
        if isinstance(s, PredictedSuggestion)
    ]
    PredictionOutcome.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["prediction", "assignment", "kind", "key"],
        update_fields=["fate"],
    )


def settle(assignment: Assignment) -> int:
    """At submit, the fate of every prediction shown (above the threshold), from what
    the version holds: the very span → accepted; dismissed → dismissed; another span
    over the same words → corrected; nothing → ignored. Stances: the predicted label
    chosen → accepted, another → corrected, none → ignored. Returns how many."""
    if not latest_predictions(assignment):
        return 0
    threshold = assignment.document.project.prediction_threshold
    names = {label.pk: label.name for label in assignment.document.project.label_list}
    spans = list(assignment.spans.values_list("start", "end", "label_id"))
    exact = set(spans)
    dismissed = set(
        assignment.dismissed_suggestions.values_list("start", "end", "label_id")
    )
    rows = []
    for s in predicted_spans(assignment):
        if s.score < threshold:
            continue
        key = (s.start, s.end, s.label_id)
        if key in exact:
            fate = Fate.ACCEPTED
        elif key in dismissed:
            fate = Fate.DISMISSED
        elif any(a < s.end and s.start < b for a, b, _ in spans):
            fate = Fate.CORRECTED
        else:
            fate = Fate.IGNORED
        rows.append(("span", _span_key(s.start, s.end, names[s.label_id]), s, fate))
    chosen = dict(assignment.stances.values_list("target__name", "label_id"))
    for target, guess in predicted_stances(assignment).items():
        if target not in chosen:
            fate = Fate.IGNORED
        elif chosen[target] == guess.label.pk:
            fate = Fate.ACCEPTED
        else:
            fate = Fate.CORRECTED
        rows.append(("stance", target, guess, fate))
    PredictionOutcome.objects.bulk_create(
        [
            PredictionOutcome(
                prediction_id=item.prediction_id,
                assignment=assignment,
                kind=kind,
                key=key,
                fate=fate,
            )
            for kind, key, item, fate in rows
        ],
        update_conflicts=True,
        unique_fields=["prediction", "assignment", "kind", "key"],
        update_fields=["fate"],
    )
    return len(rows)
