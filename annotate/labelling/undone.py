"""Undone changes in words, for the annotator: "span “Bamako” GPE", "stance on Russia
in Africa (favor)", "accept all (12 spans)"; read from an AssignmentChange's action
and undo steps before annotate.labelling.changes reverses them."""

from __future__ import annotations

from dataclasses import dataclass

from annotate.labelling.rendering import shortened
from annotate.models import (
    Assignment,
    AssignmentChange,
    Label,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)


@dataclass(frozen=True, slots=True)
class Undone:
    """What undo_last_change reversed: the change's action, and in words for the
    annotator ("span “Bamako” GPE", "stance on Russia in Africa (favor)")."""

    action: str
    description: str


def describe(assignment: Assignment, change: AssignmentChange) -> str:
    """A change in words, from its action and its undo steps (one or two small
    queries)."""
    steps, action = change.undo, change.action
    if action == "accept-all":
        return f"accept all ({len(steps)} span{'' if len(steps) == 1 else 's'})"
    if action in ("stance", "rating"):
        return _choice_described(assignment, steps[0])
    if "start" not in steps[0]:
        return action
    return _span_described(assignment, action, steps)


def _choice_described(assignment: Assignment, step: dict) -> str:
    """ "stance on Russia in Africa (favor)", "rating of Politico (high)": the choice
    as it is before the undo."""
    if step["op"] == "restore_stance":
        model, where = Stance, {"target_id": step["target"]}
        related, what = "target", "stance on"
    else:
        model, where = Rating, {"source_id": step["source"], "role": step["role"]}
        related, what = "source", "rating of"
    current = (
        model.objects.select_related("label", related)
        .filter(assignment=assignment, **where)
        .first()
    )
    if current is None:  # gone meanwhile (another tab undid it): name it still
        owners = StanceTarget if related == "target" else Source
        name = owners.objects.filter(pk=step[related]).values_list("name", flat=True)
        return f"{what} {name.first() or 'a removed ' + related}"
    return f"{what} {getattr(current, related).name} ({current.label.name})"


SPAN_ACTIONS = {
    "add": "span",
    "accept-suggestion": "accepted suggestion",
    "delete": "deletion of span",
    "dismiss": "dismissal of suggestion",
}


def _span_described(assignment: Assignment, action: str, steps: list[dict]) -> str:
    """ "span “Bamako” GPE", "relabel of “Bamako” to ORG (back to GPE)", …"""
    first = steps[0]
    names = dict(
        Label.objects.filter(
            pk__in={step.get(key) for step in steps for key in ("label", "to_label")}
        ).values_list("pk", "name")
    )
    label = names.get(first["label"], "")
    text = assignment.document.text[first["start"] : first["end"]]
    quoted = f"“{shortened(text, 40)}”"
    if action == "relabel" and first["op"] == "set_span":
        return f"relabel of {quoted} to {label} (back to {names.get(first['to_label'], '')})"
    if action == "relabel":  # merged into a span of the new label: the old one returns
        return f"relabel of {quoted} (back to {label})"
    if action == "link":
        entity = (
            Span.objects.filter(
                assignment=assignment,
                start=first["start"],
                end=first["end"],
                label_id=first["label"],
            )
            .values_list("entity__name", flat=True)
            .first()
        )
        return f"link of {quoted}" + (f" to {entity}" if entity else "")
    return f"{SPAN_ACTIONS.get(action, action)} {quoted} {label}"
