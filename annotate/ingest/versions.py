"""Writing what records say about their documents: each version becomes an Assignment
with its spans, stances and ratings, in a few statements per batch.

A document that is imported again (the same text, in this file or another) gets the
new record's annotations merged into its imported versions: a span given twice is kept
once (span_unique), a stance or rating already given stands. A version attributed to
one of this installation's users is only ever written into an assignment this load
creates: a restore never edits a person's existing work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from annotate.ingest.names import Names
from annotate.ingest.records import DocumentRecord, VersionRecord
from annotate.models import (
    Assignment,
    Document,
    Label,
    Rating,
    ReviewEvent,
    Span,
    Stance,
)

DECISIONS = {
    Assignment.ReviewState.ACCEPTED: ReviewEvent.Action.ACCEPT,
    Assignment.ReviewState.REJECTED: ReviewEvent.Action.REJECT,
}


@dataclass
class _Planned:
    """The versions of one document that go into one assignment."""

    document_id: int
    annotator: object
    imported: bool
    is_gold: bool
    versions: list[VersionRecord] = field(default_factory=list)
    origin: str = ""


def write_versions(
    records: list[DocumentRecord], document_ids: dict[str, int], names: Names
) -> None:
    """Store every version of `records` (whose documents are `document_ids` by content
    hash), merging versions of the same document and identity."""
    planned: dict[tuple, _Planned] = {}
    for record in records:
        document_id = document_ids[record.content_hash]
        for version in record.annotation_versions():
            who = names.annotator_of(version)
            key = _key_of(document_id, who.user.pk, version.is_gold)
            plan = planned.get(key)
            if plan is None:
                plan = _Planned(document_id, who.user, who.imported, version.is_gold)
                plan.origin = record.origin
                planned[key] = plan
            plan.versions.append(version)
    if not planned:
        return
    assignments = _assignments(list(planned.values()), names)
    spans, stances, ratings = [], [], []
    for key, plan in planned.items():
        assignment = assignments.get(key)
        if assignment is None:
            continue  # a person's existing work: left as it is
        for version in plan.versions:
            spans += _spans(assignment, version, names)
            stances += _stances(assignment, version, names)
            ratings += _ratings(assignment, version, names)
    Span.objects.bulk_create(spans, ignore_conflicts=True)
    Stance.objects.bulk_create(stances, ignore_conflicts=True)
    Rating.objects.bulk_create(ratings, ignore_conflicts=True)


def _assignments(plans: list[_Planned], names: Names) -> dict[tuple, Assignment]:
    """The assignment each plan writes into: made now, or (for imported identities
    only) the one a previous import made."""
    document_ids = {plan.document_id for plan in plans}
    _lock(document_ids)
    existing = _existing(document_ids)
    new = [_new_assignment(plan, names) for plan in plans if _key(plan) not in existing]
    # ON CONFLICT DO NOTHING: a concurrent import of the same document made it first.
    Assignment.objects.bulk_create(new, ignore_conflicts=True)
    found = _existing(document_ids)
    made = set(found) - set(existing)
    writable = {}
    for plan in plans:
        assignment = found.get(_key(plan))
        if assignment is not None and (assignment.is_imported or _key(plan) in made):
            writable[_key(plan)] = assignment
    _record_restored_decisions([found[key] for key in made], plans, names)
    return writable


def _lock(document_ids: set[int]) -> None:
    """Hold the documents until this batch commits, taken in id order. Two batches
    loading at once that annotate the same document then write its assignments one
    after the other: the second sees what the first made (and never takes it for its
    own), and neither waits for the other in a circle (a deadlock)."""
    locked = (
        Document.objects.filter(id__in=document_ids)
        .order_by("id")
        .select_for_update(no_key=True)
    )
    list(locked.values_list("id", flat=True))


def _key_of(document_id: int, annotator_id: int, is_gold: bool) -> tuple:
    """Gold is one per document, whoever made it; other versions one per annotator."""
    return ("gold", document_id) if is_gold else ("version", document_id, annotator_id)


def _key(plan: _Planned) -> tuple:
    return _key_of(plan.document_id, plan.annotator.pk, plan.is_gold)


def _existing(document_ids: set[int]) -> dict[tuple, Assignment]:
    rows = Assignment.objects.filter(document_id__in=document_ids).only(
        "id", "document_id", "annotator_id", "is_gold", "is_imported", "status",
        "review_state", "reviewer_id",
    )  # fmt: skip
    return {
        _key_of(row.document_id, row.annotator_id, row.is_gold): row for row in rows
    }


def _new_assignment(plan: _Planned, names: Names) -> Assignment:
    """The first version decides the assignment's state. A trusted restore keeps the
    file's review state; imported identities carry no review decision (nobody here
    made one), and their gold is accepted from the start, as gold always is."""
    version = plan.versions[0]
    assignment = Assignment(
        document_id=plan.document_id,
        annotator=plan.annotator,
        is_gold=plan.is_gold,
        is_imported=plan.imported,
        status=version.status,
        submitted_at=version.submitted_at,
    )
    if names.trusted and not plan.imported:
        assignment.review_state = version.review_state
        assignment.reviewer = names.reviewer_of(version)
        assignment.review_comment = version.review_comment
        assignment.reviewed_at = version.reviewed_at
    elif plan.is_gold:
        assignment.status = Assignment.Status.SUBMITTED
        assignment.review_state = Assignment.ReviewState.ACCEPTED
    return assignment


def _record_restored_decisions(
    made: list[Assignment], plans: list[_Planned], names: Names
) -> None:
    """A trusted restore keeps people's review decisions; each gets a ReviewEvent that
    says it was a restore, by whom (the importer, else the reviewer the file names)."""
    origin_of = {_key(plan): plan.origin for plan in plans}
    events = []
    for assignment in made:
        action = DECISIONS.get(assignment.review_state)
        actor = names.importer or assignment.reviewer
        if assignment.is_gold or action is None or actor is None:
            continue
        key = _key_of(assignment.document_id, assignment.annotator_id, False)
        events.append(
            ReviewEvent(
                assignment=assignment,
                actor=actor,
                action=action,
                via=ReviewEvent.Via.RESTORE,
                comment=f"restored from {origin_of.get(key, 'a full export')}",
                previous_status=assignment.status,
                previous_review_state=Assignment.ReviewState.PENDING,
            )
        )
    ReviewEvent.objects.bulk_create(events)


def _spans(assignment: Assignment, version: VersionRecord, names: Names) -> list:
    spans = []
    for span in version.spans:
        label = names.label(Label.Kind.ENTITY, span.label)
        spans.append(
            Span(
                assignment=assignment,
                start=span.start,
                end=span.end,
                text=span.text,
                label=label,
                entity=names.entity(span.entity, label) if span.entity else None,
                origin=span.origin or Span.Origin.IMPORTED,
            )
        )
    return spans


def _stances(assignment: Assignment, version: VersionRecord, names: Names) -> list:
    # One stance per target: the first given stands.
    first = {item.target: item for item in reversed(version.classes)}
    return [
        Stance(
            assignment=assignment,
            target=names.target(item.target),
            label=names.label(Label.Kind.STANCE, item.label),
            evidence_start=item.evidence_start,
            evidence_end=item.evidence_end,
            evidence_text=item.evidence_text,
            note=item.note,
        )
        for item in first.values()
    ]


def _ratings(assignment: Assignment, version: VersionRecord, names: Names) -> list:
    return [
        Rating(
            assignment=assignment,
            source_id=names.source_id(item.source),
            role=item.role,
            label=names.label(Label.Kind.RELIABILITY, item.label),
            evidence_start=item.evidence_start,
            evidence_end=item.evidence_end,
            evidence_text=item.evidence_text,
            rationale=item.rationale,
        )
        for item in version.ratings
    ]


def names_in(records: list[DocumentRecord], names: Names) -> None:
    """Find or create everything the records' versions name, committed before worker
    threads write the batch: a row one worker made in its open transaction is
    invisible to the others, and its id in the shared caches would break their keys."""
    seen_people: set[tuple] = set()
    for record in records:
        for version in record.annotation_versions():
            person = (version.annotator, version.imported, version.reviewer)
            if person not in seen_people:
                seen_people.add(person)
                names.annotator_of(version)
                names.reviewer_of(version)
            for span in version.spans:
                label = names.label(Label.Kind.ENTITY, span.label)
                if span.entity:
                    names.entity(span.entity, label)
            for item in version.classes:
                names.target(item.target)
                names.label(Label.Kind.STANCE, item.label)
            for item in version.ratings:
                names.source_id(item.source)
                names.label(Label.Kind.RELIABILITY, item.label)


def merged_records(records: list[DocumentRecord], inserted: set[str]) -> int:
    """How many records with annotations found their document there already (made
    before, or by an earlier record of the batch): their annotations were merged."""
    first_of = defaultdict(int)
    merged = 0
    for record in records:
        if not record.annotation_versions():
            continue
        first_of[record.content_hash] += 1
        if record.content_hash not in inserted or first_of[record.content_hash] > 1:
            merged += 1
    return merged
