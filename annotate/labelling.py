"""The changes an annotator makes to their assignment. Each runs in one transaction,
bumps the assignment's version (so other tabs notice) and is safe to repeat: a
double-clicked or replayed request finds its work done and creates nothing twice."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from annotate.models import (
    Assignment,
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
    """The assignment was reviewed (or is someone else's gold) and cannot change."""


def ensure_editable(assignment: Assignment) -> None:
    if assignment.review_state != Assignment.ReviewState.PENDING:
        raise LockedAssignment(
            "This document was reviewed; it can no longer be changed."
        )


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
        try:
            with transaction.atomic():
                span, created = Span.objects.get_or_create(
                    assignment=assignment,
                    start=start,
                    end=end,
                    label=label,
                    defaults={
                        "text": assignment.document.text[start:end],
                        "origin": origin,
                    },
                )
        except IntegrityError:  # the same span, created by a concurrent request
            span, created = (
                Span.objects.get(
                    assignment=assignment, start=start, end=end, label=label
                ),
                False,
            )
        if created:
            assignment.touch()
    return span


def change_span_label(*, span: Span, label: Label) -> Span:
    ensure_editable(span.assignment)
    with transaction.atomic():
        duplicate = Span.objects.filter(
            assignment=span.assignment, start=span.start, end=span.end, label=label
        ).exclude(pk=span.pk)
        if duplicate.exists():
            span.delete()  # it already exists with that label: merging means removing this one
            span = duplicate.get()
        else:
            span.label = label
            span.save(update_fields=["label"])
        span.assignment.touch()
    return span


def delete_span(*, span: Span) -> None:
    ensure_editable(span.assignment)
    with transaction.atomic():
        span.delete()
        span.assignment.touch()


def undo_last_span(*, assignment: Assignment) -> Span | None:
    """Remove the span added last; None when there is nothing to undo."""
    ensure_editable(assignment)
    with transaction.atomic():
        last = assignment.spans.order_by("-created_at", "-id").first()
        if last is not None:
            last.delete()
            assignment.touch()
    return last


def set_stance(
    *,
    assignment: Assignment,
    target: StanceTarget,
    label: Label,
    note: str,
    evidence: dict,
) -> Stance:
    ensure_editable(assignment)
    with transaction.atomic():
        stance, _ = Stance.objects.update_or_create(
            assignment=assignment,
            target=target,
            defaults={"label": label, "note": note, **evidence},
        )
        assignment.touch()
    return stance


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
    rationale: str,
    evidence: dict,
) -> Rating:
    ensure_editable(assignment)
    with transaction.atomic():
        rating, _ = Rating.objects.update_or_create(
            assignment=assignment,
            source=source_named(source_name),
            role=role,
            defaults={"label": label, "rationale": rationale, **evidence},
        )
        assignment.touch()
    return rating


def link_span(
    *, span: Span, entity: Entity | None = None, new_name: str = ""
) -> Entity:
    """Point a span at a canonical entity (a new one when `new_name` is given); the
    span's text joins the entity's aliases, so spelling variants meet."""
    ensure_editable(span.assignment)
    with transaction.atomic():
        if entity is None:
            project_id = span.assignment.document.project_id
            entity = Entity.objects.filter(
                project_id=project_id, name__iexact=new_name
            ).first()
            if entity is None:
                entity = Entity.objects.create(
                    project_id=project_id, name=new_name, type=span.label
                )
        entity.add_alias(span.text)
        span.entity = entity
        span.save(update_fields=["entity"])
        span.assignment.touch()
    return entity


def dismiss_suggestion(
    *, assignment: Assignment, start: int, end: int, label: Label
) -> None:
    ensure_editable(assignment)
    with transaction.atomic():
        _, created = DismissedSuggestion.objects.get_or_create(
            assignment=assignment, start=start, end=end, label=label
        )
        if created:
            assignment.touch()


def accept_suggestions(
    *, assignment: Assignment, suggestions: list, labels: dict[int, Label]
) -> int:
    """Turn every given suggestion into a span of origin `suggested`; returns how many."""
    ensure_editable(assignment)
    with transaction.atomic():
        for suggestion in suggestions:
            add_span(
                assignment=assignment,
                start=suggestion.start,
                end=suggestion.end,
                label=labels[suggestion.label_id],
                origin=Span.Origin.SUGGESTED,
            )
    return len(suggestions)
