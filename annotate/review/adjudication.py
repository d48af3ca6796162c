"""Adjudication: every annotator's work on one document merged item by item, and the
gold version a reviewer builds from it.

Gold is one more Assignment (is_gold=True, one per document: assignment_one_gold),
owned by the reviewer who started it, submitted and accepted from the start so the
annotation screen never changes it. Every change to gold runs in one transaction
that first locks the document row, so two reviewers adjudicating the same document
take turns: nothing is created twice, and a change made from a screen that no
longer shows the stored gold choice raises Conflict instead of overwriting it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape

from annotate import webhooks
from annotate.labelling.rendering import (
    MAX_DEPTH,
    ROW_CONTEXT_CHARS,
    Positions,
    in_context,
    label_tag,
    stacked_marks,
    where,
)
from annotate.models import (
    Assignment,
    Document,
    Label,
    Rating,
    Span,
    Stance,
)
from annotate.review import decisions as review

Status, ReviewState = Assignment.Status, Assignment.ReviewState


class Conflict(Exception):
    """The change would overwrite what another reviewer did since the screen was drawn."""


# One document's versions, merged item by item


@dataclass
class ItemRow:
    """One thing annotators said: a span (offsets and label), the stance toward a
    target, or the rating of a source in a role. `given` maps each annotator's
    assignment id to their object; `gold` is the gold version's, if any."""

    kind: str  # "span", "stance" or "rating"
    key: tuple
    name: str
    given: dict[int, Span | Stance | Rating] = field(default_factory=dict)
    gold: Span | Stance | Rating | None = None
    number: int = 0  # position on the screen, for the keys
    # Filled by document_versions: (annotator number, assignment, item or None) each,
    # how many annotators agree, and the number of the annotator `t` takes from.
    cells: list[tuple[int, Assignment, Span | Stance | Rating | None]] = field(
        default_factory=list
    )
    count: int = 0
    is_disputed: bool = False
    default_number: int | None = None
    # Spans only: the words around the span and where it is ("para 2 · chars 40–46"),
    # so two rows of one string and label can be told apart.
    context: dict = field(default_factory=dict)
    where: str = ""

    def agreement(self, annotators: int) -> int:
        """How many annotators gave exactly this (for stances and ratings: the most
        common choice)."""
        if self.kind == "span":
            return len(self.given)
        counts = Counter(item.label_id for item in self.given.values())
        return max(counts.values(), default=0)

    def agreed_item(self, k: int) -> Span | Stance | Rating | None:
        """An item given by at least k annotators (the first of them), or None."""
        counts = Counter(item.label_id for item in self.given.values())
        for item in self.given.values():
            if counts[item.label_id] >= k:
                return item
        return None

    @property
    def label(self) -> Label:
        """The label the row is about: gold's, else the first annotator's."""
        return (self.gold or next(iter(self.given.values()))).label

    @property
    def dom_key(self) -> str:
        """Names the row in the page across swaps, so the keyboard focus stays on it."""
        return "-".join([self.kind, *map(str, self.key)])

    @property
    def start(self) -> int:  # spans only: where rendering.segments cuts the text
        return self.key[0]

    @property
    def end(self) -> int:
        return self.key[1]

    def disputed(self, annotators: int) -> bool:
        return self.agreement(annotators) < annotators


@dataclass
class Versions:
    document: Document
    annotators: list[Assignment]  # submitted, non-gold, by username
    gold: Assignment | None
    spans: list[ItemRow]
    stances: list[ItemRow]
    ratings: list[ItemRow]

    @property
    def rows(self) -> list[ItemRow]:
        return [*self.spans, *self.stances, *self.ratings]


def document_versions(document: Document) -> Versions:
    """Every submitted annotator version of the document and gold, merged: five
    queries whatever the number of items."""
    assignments = list(_versions_of(document))
    gold = next((a for a in assignments if a.is_gold), None)
    annotators = [a for a in assignments if not a.is_gold]
    ids = [a.pk for a in assignments]
    spans = _merge(
        "span",
        Span.objects.filter(assignment_id__in=ids).select_related("label", "entity"),
        key=lambda s: (s.start, s.end, s.label_id),
        name=lambda s: s.text,
        gold=gold,
    )
    stances = _merge(
        "stance",
        Stance.objects.filter(assignment_id__in=ids).select_related("target", "label"),
        key=lambda s: (s.target_id,),
        name=lambda s: s.target.name,
        gold=gold,
    )
    ratings = _merge(
        "rating",
        Rating.objects.filter(assignment_id__in=ids).select_related("source", "label"),
        key=lambda r: (r.source_id, r.role),
        name=lambda r: f"{r.source.name} ({r.role})",
        gold=gold,
    )
    spans.sort(key=lambda row: (row.key[0], -row.key[1], row.key[2]))
    positions = Positions(document.text)
    for row in spans:
        row.context = in_context(document.text, row.start, row.end, ROW_CONTEXT_CHARS)
        row.where = where(positions, row.start, row.end)
    stances.sort(key=lambda row: row.name.casefold())
    ratings.sort(key=lambda row: row.name.casefold())
    for number, row in enumerate([*spans, *stances, *ratings], 1):
        row.number = number
        _fill_cells(row, annotators)
    return Versions(document, annotators, gold, spans, stances, ratings)


def _fill_cells(row: ItemRow, annotators: list[Assignment]) -> None:
    row.cells = [
        (number, assignment, row.given.get(assignment.pk))
        for number, assignment in enumerate(annotators, 1)
    ]
    row.count = row.agreement(len(annotators))
    row.is_disputed = row.count < len(annotators)
    best = row.agreed_item(row.count) if row.count else None
    row.default_number = next(
        (number for number, _, item in row.cells if best and item is best), None
    )


def _versions_of(document: Document):
    """The document's submitted annotator versions and its gold, gold first."""
    return (
        Assignment.objects.filter(document=document)
        .filter(Q(is_gold=True) | Q(status=Status.SUBMITTED))
        .select_related("annotator", "reviewer")
        .order_by("-is_gold", "annotator__username")
    )


def _merge(kind: str, items, *, key, name, gold: Assignment | None) -> list[ItemRow]:
    rows: dict[tuple, ItemRow] = {}
    for item in items:
        row = rows.setdefault(key(item), ItemRow(kind, key(item), name(item)))
        if gold is not None and item.assignment_id == gold.pk:
            row.gold = item
        else:
            row.given[item.assignment_id] = item
    return list(rows.values())


def marked_items(text: str, spans: list[ItemRow], annotators: int) -> str:
    """The text with every annotator span drawn once per distinct item (nested where
    items nest, each underlined at its own depth and tagged with its label): disputed
    ones dashed, those in gold marked; escaped."""

    def opening(row: ItemRow, depth: int) -> tuple[str, str]:
        return _item_mark(row, annotators, depth), label_tag(row.label.name)

    return stacked_marks(text, spans, opening)


def _item_mark(row: ItemRow, annotators: int, depth: int) -> str:
    label = row.label
    classes = ["span", f"l-{label.pk}", f"d{min(depth, MAX_DEPTH)}"]
    classes += ["disputed"] if row.disputed(annotators) else []
    classes += ["in-gold"] if row.gold else []
    title = (
        f"{label.name}: {len(row.given)} of {annotators}{' · gold' if row.gold else ''}"
    )
    return f'<mark class="{" ".join(classes)}" data-row="{row.number}" title="{escape(title)}">'


# Building gold


def _locked_gold(document: Document, reviewer) -> Assignment:
    """Lock the document row, so reviewers of one document take turns, then its gold
    version, started (owned by `reviewer`) when there is none."""
    Document.objects.select_for_update(no_key=True).filter(pk=document.pk).exists()
    gold = Assignment.objects.filter(document=document, is_gold=True).first()
    if gold is None:
        now = timezone.now()
        gold = Assignment.objects.create(
            document=document, annotator=reviewer, is_gold=True,
            status=Status.SUBMITTED, submitted_at=now,
            review_state=ReviewState.ACCEPTED, reviewer=reviewer, reviewed_at=now,
        )  # fmt: skip
    return gold


def _gold_changed(document: Document, gold: Assignment) -> None:
    gold.touch()
    payload = {"document": document.pk, "version": gold.pk}
    webhooks.notify(document.project_id, "gold.changed", payload)


def _evidence(item: Stance | Rating) -> dict:
    return {
        "evidence_start": item.evidence_start,
        "evidence_end": item.evidence_end,
        "evidence_text": item.evidence_text,
    }


def _choice_of(item: Stance | Rating) -> tuple[type, dict, dict, str]:
    """Where a stance or rating sits in an assignment, what it says, and its name."""
    if isinstance(item, Stance):
        where = {"target_id": item.target_id}
        values = {"label_id": item.label_id, "note": item.note, **_evidence(item)}
        return Stance, where, values, f"The gold stance on {item.target.name}"
    where = {"source_id": item.source_id, "role": item.role}
    values = {"label_id": item.label_id, "rationale": item.rationale, **_evidence(item)}
    return Rating, where, values, f"The gold rating of {item.source.name}"


def _set_choice(
    gold: Assignment, item: Stance | Rating, values: dict, seen_label: int | None
) -> bool:
    """Make gold's choice for the item's target (or source) say `values`. Refused when
    the stored choice is neither the one the screen showed (`seen_label`, 0 for none)
    nor the one asked for: another reviewer chose differently meanwhile."""
    model, where, _, what = _choice_of(item)
    current = model.objects.select_related("label").filter(assignment=gold, **where)
    current = current.first()
    stored = current.label_id if current else 0
    if seen_label is not None and stored not in (seen_label, values["label_id"]):
        chosen = current.label.name if current else "nothing"
        raise Conflict(
            f"{what} was set to {chosen} by another reviewer meanwhile; "
            "the screen now shows it."
        )
    if current and all(getattr(current, k) == v for k, v in values.items()):
        return False
    model.objects.update_or_create(assignment=gold, **where, defaults=values)
    return True


def take(
    document: Document, *, reviewer, item: Span | Stance | Rating, seen_label=None
) -> bool:
    """Copy one annotator's item into gold; False when gold says so already."""
    with transaction.atomic():
        gold = _locked_gold(document, reviewer)
        if isinstance(item, Span):
            _, changed = Span.objects.get_or_create(
                assignment=gold, start=item.start, end=item.end, label_id=item.label_id,
                defaults={"text": item.text, "entity_id": item.entity_id},
            )  # fmt: skip
        else:
            changed = _set_choice(gold, item, _choice_of(item)[2], seen_label)
        if changed:
            _gold_changed(document, gold)
    return changed


def remove(document: Document, *, reviewer, item: Span | Stance | Rating) -> bool:
    """Take an item out of gold; False when it was gone already."""
    with transaction.atomic():
        gold = _locked_gold(document, reviewer)
        deleted, _ = type(item).objects.filter(pk=item.pk, assignment=gold).delete()
        if deleted:
            _gold_changed(document, gold)
    return bool(deleted)


def relabel(
    document: Document, *, reviewer, item: Span | Stance | Rating, label: Label,
    seen_label: int | None,
) -> None:  # fmt: skip
    """Give a gold item another label; refused (Conflict) when another reviewer gave it
    one the screen did not show."""
    with transaction.atomic():
        gold = _locked_gold(document, reviewer)
        if not isinstance(item, Span):
            values = {**_choice_of(item)[2], "label_id": label.pk}
            if _set_choice(gold, item, values, seen_label):
                _gold_changed(document, gold)
            return
        current = Span.objects.filter(pk=item.pk, assignment=gold).first()
        if current is None:
            raise Conflict(f"“{item.text}” was removed from gold by another reviewer.")
        if seen_label is not None and current.label_id not in (seen_label, label.pk):
            raise Conflict(
                f"“{item.text}” was relabelled in gold by another reviewer meanwhile; "
                "the screen now shows it."
            )
        if current.label_id == label.pk:
            return
        twin = Span.objects.filter(
            assignment=gold, start=item.start, end=item.end, label=label
        )
        if twin.exists():  # gold has it with that label already: merging removes this
            current.delete()
        else:
            Span.objects.filter(pk=current.pk).update(label=label)
        _gold_changed(document, gold)


@dataclass(frozen=True)
class AgreedOutcome:
    added: int
    kept: int  # gold already chose differently: left as the reviewer made it


def take_agreed(document: Document, *, reviewer, k: int) -> AgreedOutcome:
    """Copy into gold every item on which at least k annotators agree. Never overwrites
    a gold choice: one that differs is kept and counted."""
    with transaction.atomic():
        gold = _locked_gold(document, reviewer)
        versions = document_versions(document)
        new_spans, added, kept = [], 0, 0
        for row in versions.rows:
            item = row.agreed_item(k) if len(row.given) >= k else None
            if item is None:
                continue
            if row.gold is not None:
                kept += row.gold.label_id != item.label_id
            elif isinstance(item, Span):
                new_spans.append(
                    Span(assignment=gold, start=item.start, end=item.end,
                         label_id=item.label_id, text=item.text, entity_id=item.entity_id)
                )  # fmt: skip
            else:
                added += _set_choice(gold, item, _choice_of(item)[2], None)
        Span.objects.bulk_create(new_spans, ignore_conflicts=True)
        if new_spans or added:
            _gold_changed(document, gold)
    return AgreedOutcome(added=added + len(new_spans), kept=kept)


# Decisions on annotators' versions


def decide(
    assignment: Assignment, *, reviewer, action: str, comment: str,
    seen_version: int | None,
) -> None:  # fmt: skip
    """Accept or reject one annotator's version (through annotate.review.decisions, which writes
    the ReviewEvent). Refused (Conflict) when it changed since the screen showed it:
    its annotator resubmitted, or another reviewer decided."""
    with transaction.atomic():
        current = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("reviewer", "annotator")
            .get(pk=assignment.pk)
        )
        who = current.annotator.username
        if seen_version is not None and current.version != seen_version:
            if current.review_state != ReviewState.PENDING and current.reviewer:
                why = f"{current.reviewer.username} {current.review_state} it"
            else:
                why = f"{who} changed it"
            raise Conflict(
                f"{who}'s version changed since the screen showed it ({why}); "
                "look at it again before deciding."
            )
        decided = review.review_assignments(
            Assignment.objects.filter(pk=current.pk), action=action, actor=reviewer,
            comment=comment, via=review.Via.REVIEW,
        )  # fmt: skip
        if not decided.changed:
            raise Conflict(
                f"{who}'s version is no longer submitted; nothing to decide."
            )
    assignment.refresh_from_db()
