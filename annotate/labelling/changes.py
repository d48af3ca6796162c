"""The changes an annotator makes to their assignment.

Each runs in one transaction, bumps the assignment's version (so other tabs notice),
records how to reverse it (the undo stack, AssignmentChange) and is safe to repeat: a
double-clicked or replayed request finds its work done and creates nothing twice.

A change sent from a screen that is out of date (another tab changed the assignment
since) still applies when it only adds; one that would overwrite what the other tab
did raises Conflict, and the caller shows the fresh state with the message.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotate.labelling.undone import Undone, describe
from annotate.models import (
    Assignment,
    AssignmentChange,
    DismissedSuggestion,
    Entity,
    Label,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)


class LockedAssignment(Exception):
    """The assignment was reviewed and cannot change any more."""


class Conflict(Exception):
    """The change was made on an out-of-date screen and would undo another tab's work."""


def ensure_editable(assignment: Assignment) -> None:
    if not assignment.is_open_to_changes:
        raise LockedAssignment(
            "This document was reviewed and accepted; it can no longer be changed."
        )


def _lock_open(assignment: Assignment) -> None:
    """Take the assignment's row lock and check under it that it is still open. A
    review decision takes the same lock (review.decisions), so a change either lands
    before the decision or is refused: none lands after it, whatever the screen the
    change came from had read."""
    assignment.review_state = (
        Assignment.objects.select_for_update()
        .values_list("review_state", flat=True)
        .get(pk=assignment.pk)
    )
    ensure_editable(assignment)


def _record(assignment: Assignment, action: str, undo: list[dict]) -> None:
    """Push the change on the undo stack and bump the version."""
    if undo:
        AssignmentChange.objects.create(assignment=assignment, action=action, undo=undo)
    assignment.touch()


def _span_key(span: Span) -> dict:
    return {"start": span.start, "end": span.end, "label": span.label_id}


def _span_row(span: Span) -> dict:
    return {
        **_span_key(span),
        "text": span.text,
        "entity": span.entity_id,
        "origin": span.origin,
    }


def _expect_label(span: Span, *, label: Label, seen_label: int | None) -> None:
    """Refuse to change a span another tab relabelled since this screen showed it."""
    if seen_label is not None and span.label_id not in (seen_label, label.pk):
        raise Conflict(
            f"“{span.text}” was relabelled {span.label.name} in another tab; "
            "the screen now shows it."
        )


# Spans


def _add_span(
    assignment: Assignment, start: int, end: int, label: Label, origin: str
) -> tuple[Span, bool]:
    """The span, and whether it is new: one INSERT ... ON CONFLICT DO NOTHING (not
    get_or_create's read, savepoint, insert and release), so a double-click or a
    concurrent twin makes one span; the existing span is read only then."""
    text = assignment.document.text[start:end]
    span = Span(
        assignment=assignment, start=start, end=end, label=label, text=text,
        origin=origin, created_at=timezone.now(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {Span._meta.db_table} (assignment_id, start, "end", '
            "label_id, text, entity_id, origin, created_at) "
            "VALUES (%s, %s, %s, %s, %s, NULL, %s, %s) "
            "ON CONFLICT ON CONSTRAINT span_unique DO NOTHING RETURNING id",
            [assignment.pk, start, end, label.pk, text, origin, span.created_at],
        )
        row = cursor.fetchone()
    if row is None:
        found = Span.objects.get(
            assignment=assignment, start=start, end=end, label=label
        )
        return found, False
    span.pk = row[0]
    span._state.adding, span._state.db = False, connection.alias
    return span, True


def add_span(
    *,
    assignment: Assignment,
    start: int,
    end: int,
    label: Label,
    origin: str = Span.Origin.MANUAL,
) -> Span:
    ensure_editable(assignment)
    with transaction.atomic():
        _lock_open(assignment)
        span, created = _add_span(assignment, start, end, label, origin)
        if created:
            action = "accept-suggestion" if origin == Span.Origin.SUGGESTED else "add"
            _record(assignment, action, [{"op": "delete_span", **_span_key(span)}])
    return span


def accept_suggestions(
    *, assignment: Assignment, suggestions: list, labels: dict[int, Label]
) -> int:
    """Turn every given suggestion into a span of origin `suggested`, in two queries
    whatever their number, as one change (one undo takes them all back); returns how
    many were new."""
    ensure_editable(assignment)
    with transaction.atomic():
        _lock_open(assignment)
        existing = set(
            assignment.spans.values_list("start", "end", "label_id").filter(
                start__in={suggestion.start for suggestion in suggestions}
            )
        )
        new = [
            Span(
                assignment=assignment,
                start=suggestion.start,
                end=suggestion.end,
                label=labels[suggestion.label_id],
                text=assignment.document.text[suggestion.start : suggestion.end],
                origin=Span.Origin.SUGGESTED,
            )
            for suggestion in suggestions
            if (suggestion.start, suggestion.end, suggestion.label_id) not in existing
        ]
        # A concurrent accept of the same suggestion is ignored by span_unique.
        Span.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            undo = [{"op": "delete_span", **_span_key(span)} for span in new]
            _record(assignment, "accept-all", undo)
    return len(new)


def change_span_label(
    *, span: Span, label: Label, seen_label: int | None = None
) -> Span:
    ensure_editable(span.assignment)
    _expect_label(span, label=label, seen_label=seen_label)
    if span.label_id == label.pk:
        return span  # a replay, or the same key pressed twice
    with transaction.atomic():
        _lock_open(span.assignment)
        before = _span_row(span)
        duplicate = Span.objects.filter(
            assignment=span.assignment, start=span.start, end=span.end, label=label
        ).first()
        if duplicate is not None:
            span.delete()  # it exists with that label already: merging means removing this one
            _record(span.assignment, "relabel", [{"op": "create_span", **before}])
            return duplicate
        span.label = label
        try:
            with transaction.atomic():
                span.save(update_fields=["label"])
        except IntegrityError as error:  # another tab made that span at that moment
            raise Conflict("That span was just made in another tab.") from error
        undo = {"op": "set_span", **_span_key(span), "to_label": before["label"]}
        _record(span.assignment, "relabel", [{**undo, "entity": before["entity"]}])
    return span


def delete_span(*, span: Span, seen_label: int | None = None) -> None:
    ensure_editable(span.assignment)
    if seen_label is not None and span.label_id != seen_label:
        raise Conflict(
            f"“{span.text}” was relabelled {span.label.name} in another tab; it was kept."
        )
    with transaction.atomic():
        _lock_open(span.assignment)
        row = _span_row(span)
        deleted, _ = Span.objects.filter(pk=span.pk).delete()
        if deleted:  # not already deleted by a twin request
            _record(span.assignment, "delete", [{"op": "create_span", **row}])


def link_span(
    *, span: Span, entity: Entity | None = None, new_name: str = ""
) -> Entity:
    """Point a span at a canonical entity (a new one when `new_name` is given); the
    span's text joins the entity's aliases, so spelling variants meet."""
    ensure_editable(span.assignment)
    with transaction.atomic():
        _lock_open(span.assignment)
        if entity is None:
            project_id = span.assignment.document.project_id
            entity = Entity.objects.filter(
                project_id=project_id, name__iexact=new_name
            ).first()
            if entity is None:
                entity = _new_entity(project_id, new_name, span.label)
        entity.add_alias(span.text)
        if span.entity_id != entity.pk:
            undo = {"op": "set_span", **_span_key(span), "to_label": span.label_id}
            undo["entity"] = span.entity_id
            span.entity = entity
            span.save(update_fields=["entity"])
            # The alias stays on undo: it is a true spelling of the entity either way.
            _record(span.assignment, "link", [undo])
    return entity


def _new_entity(project_id: int, name: str, label: Label) -> Entity:
    try:
        with transaction.atomic():
            return Entity.objects.create(project_id=project_id, name=name, type=label)
    except IntegrityError:  # created meanwhile by someone else (the name is unique)
        return Entity.objects.get(project_id=project_id, name__iexact=name)


def dismiss_suggestion(
    *, assignment: Assignment, start: int, end: int, label: Label
) -> None:
    ensure_editable(assignment)
    with transaction.atomic():
        _lock_open(assignment)
        _, created = DismissedSuggestion.objects.get_or_create(
            assignment=assignment, start=start, end=end, label=label
        )
        if created:
            step = {"op": "delete_dismissal", "start": start, "end": end}
            _record(assignment, "dismiss", [{**step, "label": label.pk}])


# Stance and ratings


def _evidence_of(row: Stance | Rating) -> dict:
    return {
        "evidence_start": row.evidence_start,
        "evidence_end": row.evidence_end,
        "evidence_text": row.evidence_text,
    }


def _expect_choice(
    current: Stance | Rating | None, *, label: Label, seen_label: int | None, what: str
) -> None:
    """Refuse to overwrite a choice another tab made since this screen showed the row
    (`seen_label` 0 means the screen showed no choice). A replay asks for what is
    already there and passes."""
    if seen_label is None:
        return
    stored = current.label_id if current else 0
    if stored not in (seen_label, label.pk):
        raise Conflict(
            f"{what} was set to {current.label.name if current else 'nothing'} "
            "in another tab; the screen now shows it."
        )


def set_stance(
    *,
    assignment: Assignment,
    target: StanceTarget,
    label: Label,
    note: str | None = None,
    evidence: dict | None = None,
    seen_label: int | None = None,
) -> Stance:
    """Choose the stance toward a target. A note or evidence left out (None) keeps the
    one given before, so picking another label does not lose them; evidence given
    (offsets, or empty values to clear it) replaces it. Only the caller decides what
    counts as evidence for this one change: nothing is carried over from another."""
    ensure_editable(assignment)
    with transaction.atomic():
        _lock_open(assignment)
        current = (
            Stance.objects.select_for_update()
            .select_related("label")
            .filter(assignment=assignment, target=target)
            .first()
        )
        _expect_choice(
            current, label=label, seen_label=seen_label, what=f"The stance on {target}"
        )
        before = None
        if current is not None:
            before = {"label": current.label_id, "note": current.note}
            before.update(_evidence_of(current))
        values = {"label": label}
        if note is not None:
            values["note"] = note
        if evidence is not None:
            values.update(evidence)
        stance = _save_choice(
            current, Stance, {"assignment": assignment, "target": target}, values
        )
        step = {"op": "restore_stance", "target": target.pk, "before": before}
        _record(assignment, "stance", [step])
    return stance


def _save_choice(current, model, lookup: dict, values: dict):
    """Store a stance or rating: `current` is the row locked above, so it is updated
    in place; without one, update_or_create also copes with a row another tab has
    just created."""
    if current is None:
        return model.objects.update_or_create(**lookup, defaults=values)[0]
    for name, value in values.items():
        setattr(current, name, value)
    current.save(update_fields=list(values))
    return current


def source_named(name: str) -> Source:
    """The registry's source of that name or alias, created when new."""
    source = Source.objects.named(name)
    if source is None:
        try:
            with transaction.atomic():
                source = Source.objects.create(name=name)
        except IntegrityError:  # created meanwhile by someone else
            source = Source.objects.named(name)
    return source


def set_rating(
    *,
    assignment: Assignment,
    source_name: str,
    role: str,
    label: Label,
    rationale: str | None = None,
    evidence: dict | None = None,
    seen_label: int | None = None,
) -> Rating:
    """Rate a source in a role; like set_stance, what is left out (None) is kept and
    evidence given replaces the stored one."""
    ensure_editable(assignment)
    with transaction.atomic():
        _lock_open(assignment)
        source = source_named(source_name)
        current = (
            Rating.objects.select_for_update()
            .select_related("label")
            .filter(assignment=assignment, source=source, role=role)
            .first()
        )
        _expect_choice(
            current, label=label, seen_label=seen_label, what=f"The rating of {source}"
        )
        before = None
        if current is not None:
            before = {"label": current.label_id, "rationale": current.rationale}
            before.update(_evidence_of(current))
        values = {"label": label}
        if rationale is not None:
            values["rationale"] = rationale
        if evidence is not None:
            values.update(evidence)
        lookup = {"assignment": assignment, "source": source, "role": role}
        rating = _save_choice(current, Rating, lookup, values)
        step = {"op": "restore_rating", "source": source.pk, "role": role}
        _record(assignment, "rating", [{**step, "before": before}])
    return rating


# Undo


def undo_last_change(
    *, assignment: Assignment, seen_version: int | None
) -> Undone | None:
    """Reverse the newest change of the assignment; returns what was undone, or None
    when there is nothing to undo. Undo from an out-of-date screen would reverse a
    change its user never saw (another tab's, or a double-click's first undo): refused."""
    ensure_editable(assignment)
    with transaction.atomic():
        version, assignment.review_state = (
            Assignment.objects.select_for_update()
            .values_list("version", "review_state")
            .get(pk=assignment.pk)
        )
        ensure_editable(assignment)  # under the lock: no undo after a decision
        if seen_version != version:
            raise Conflict(
                "This document changed in another tab (or the click came twice): "
                "look at it again before undoing."
            )
        change = assignment.changes.order_by("-id").first()
        if change is None:
            return None
        # Described before it is reversed: the stance or rating undone is still there.
        undone = Undone(change.action, describe(assignment, change))
        # A change's spans go in one statement, as accept-all made them: the
        # vocabulary's counters (TermUse) are then locked in one order, never in a
        # circle with another annotator's accept-all.
        steps = list(reversed(change.undo))
        _delete_spans(assignment, [s for s in steps if s["op"] == "delete_span"])
        for step in steps:
            if step["op"] != "delete_span":
                _reverse(assignment, step)
        change.delete()
        assignment.touch()
    return undone


def _delete_spans(assignment: Assignment, steps: list[dict]) -> None:
    """The spans of delete_span steps, in one DELETE; those gone meanwhile are skipped."""
    if not steps:
        return
    chosen = Q()
    for step in steps:
        chosen |= Q(start=step["start"], end=step["end"], label_id=step["label"])
    Span.objects.filter(chosen, assignment=assignment).delete()


def _reverse(assignment: Assignment, step: dict) -> None:
    """Apply one undo step; a step whose object is gone meanwhile does nothing."""
    op = step["op"]
    spans = Span.objects.filter(assignment=assignment)
    if op == "create_span":
        _restore_span(assignment, step)
    elif op == "set_span":
        found = spans.filter(
            start=step["start"], end=step["end"], label_id=step["label"]
        )
        try:
            with transaction.atomic():
                found.update(label_id=step["to_label"], entity_id=step["entity"])
        except IntegrityError:  # the old label is there again, or the entity is gone
            with transaction.atomic():
                found.update(entity_id=None)
    elif op == "delete_dismissal":
        assignment.dismissed_suggestions.filter(
            start=step["start"], end=step["end"], label_id=step["label"]
        ).delete()
    elif op == "restore_stance":
        where = {"assignment": assignment, "target_id": step["target"]}
        _restore_choice(Stance, where, step["before"])
    elif op == "restore_rating":
        where = {
            "assignment": assignment,
            "source_id": step["source"],
            "role": step["role"],
        }
        _restore_choice(Rating, where, step["before"])


def _restore_span(assignment: Assignment, row: dict) -> None:
    for entity in (row["entity"], None):  # the entity may have been deleted since
        try:
            with transaction.atomic():
                Span.objects.get_or_create(
                    assignment=assignment,
                    start=row["start"],
                    end=row["end"],
                    label_id=row["label"],
                    defaults={
                        "text": row["text"],
                        "origin": row["origin"],
                        "entity_id": entity,
                    },
                )
            return
        except IntegrityError:
            continue


def _restore_choice(model: type[Stance | Rating], where: dict, before: dict | None):
    if before is None:
        model.objects.filter(**where).delete()
        return
    values = dict(before)
    values["label_id"] = values.pop("label")
    model.objects.update_or_create(**where, defaults=values)
