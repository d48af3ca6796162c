"""A manager's direct assignment: chosen documents given to named people.

Each becomes an Assignment with assigned_by set, which the queue serves before
anything else until its annotator opens it. The project's overlap holds here as it
does in the queue: a document never gets more than `overlap` counted assignments
(not imported, not gold, not skipped: Document.assignment_count, kept by the
database's triggers). The documents are locked in id order (SELECT ... FOR UPDATE,
waiting, not skipping: each must be decided) and their counts read from the locked
rows, so a `next` running at the same moment either took its slot before the lock
(and is counted) or skips the locked row and takes another document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import batched

from django.db import transaction

from annotate.models import Assignment, Document, Project

# Documents read and locked per statement.
BATCH = 500
# The most documents one request may assign: a bigger selection is narrowed first.
MOST_DOCUMENTS = 5000


@dataclass
class Outcome:
    """What became of one person's share of the selection."""

    annotator: object
    assigned: int = 0
    already_theirs: int = 0  # they hold it already (skipped ones included)
    full: int = 0  # `overlap` people have it already
    documents: list[int] = field(default_factory=list)


@transaction.atomic
def assign_documents(
    *, project: Project, document_ids: Sequence[int], annotators: Sequence, assigned_by
) -> list[Outcome]:
    """Give each document of `document_ids` (of `project`; others are ignored) to
    each of `annotators` in turn, in their order, while it has a free slot. One
    outcome per annotator, in the same order."""
    overlap = Project.objects.values_list("overlap", flat=True).get(pk=project.pk)
    outcomes = [Outcome(annotator) for annotator in annotators]
    for batch in batched(sorted(set(document_ids)), BATCH):
        counts = dict(
            Document.objects.filter(project=project, id__in=batch)
            .order_by("id")
            .select_for_update(of=("self",))
            .values_list("id", "assignment_count")
        )
        held = set(
            Assignment.objects.filter(
                document_id__in=counts, annotator__in=annotators, is_gold=False
            ).values_list("document_id", "annotator_id")
        )
        new = []
        for document_id, count in counts.items():
            for outcome in outcomes:
                if (document_id, outcome.annotator.pk) in held:
                    outcome.already_theirs += 1
                elif count >= overlap:
                    outcome.full += 1
                else:
                    count += 1
                    outcome.assigned += 1
                    outcome.documents.append(document_id)
                    new.append(
                        Assignment(
                            document_id=document_id,
                            annotator=outcome.annotator,
                            assigned_by=assigned_by,
                        )
                    )
        # One statement: the insert trigger counts the slots on the locked rows.
        Assignment.objects.bulk_create(new)
    return outcomes
