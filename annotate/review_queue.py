"""The review queue: documents with submitted work, most disputed first.

The disagreement of every candidate document is computed by PostgreSQL in one query
(no row per span ever reaches Python), and pages are cut by keyset on (score, id),
so a page costs the same wherever it is in a queue of any length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from annotate.models import Assignment, Document

QUEUE_ORDERS = ("disagreement", "document")


@dataclass(frozen=True)
class QueueFilters:
    annotator: int | None = None
    label: int | None = None
    state: str = ""  # a ReviewState: documents with a submitted assignment in it
    disagree: bool = False
    order: str = "disagreement"


@dataclass
class QueueRow:
    document_id: int
    title: str
    # Per mille, 0 (all agree) to 1000; None when fewer than two annotators submitted.
    disagreement: int | None
    versions: list[tuple[str, str]] = field(default_factory=list)  # username, state
    has_gold: bool = False

    @property
    def cursor(self) -> str:
        return f"{-1 if self.disagreement is None else self.disagreement}.{self.document_id}"


# The documents passing the filters (from their submitted, non-gold assignments), the
# items of those documents grouped by what they say, and per document the share of
# items on which annotator pairs agree: sum c(c-1) / ((n-1) sum c), where c is how many
# of the n annotators gave an item. That is pooled pairwise F1 (Dice) over spans
# (offsets and label), stances (target and label) and ratings (source, role, label).
QUEUE_SQL = """
WITH candidates AS (
    SELECT a.document_id, count(*) AS annotators
    FROM annotate_assignment a JOIN annotate_document d ON d.id = a.document_id
    WHERE d.project_id = %(project)s AND a.status = 'submitted' AND NOT a.is_gold
      AND (%(only)s::int IS NULL OR a.document_id = %(only)s)
    GROUP BY a.document_id
    HAVING (%(annotator)s::int IS NULL OR bool_or(a.annotator_id = %(annotator)s))
       AND (%(state)s = '' OR bool_or(a.review_state = %(state)s))
), work AS (
    SELECT a.id, a.document_id FROM annotate_assignment a
    JOIN candidates c ON c.document_id = a.document_id
    WHERE a.status = 'submitted' AND NOT a.is_gold
), items AS (
    SELECT w.document_id, count(*) AS c, bool_or(s.label_id = %(label)s) AS labelled
    FROM annotate_span s JOIN work w ON w.id = s.assignment_id
    GROUP BY w.document_id, s.start, s."end", s.label_id
    UNION ALL
    SELECT w.document_id, count(*), bool_or(t.label_id = %(label)s)
    FROM annotate_stance t JOIN work w ON w.id = t.assignment_id
    GROUP BY w.document_id, t.target_id, t.label_id
    UNION ALL
    SELECT w.document_id, count(*), bool_or(r.label_id = %(label)s)
    FROM annotate_rating r JOIN work w ON w.id = r.assignment_id
    GROUP BY w.document_id, r.source_id, r.role, r.label_id
), scored AS (
    SELECT c.document_id,
           CASE WHEN c.annotators < 2 THEN -1
                WHEN coalesce(sum(i.c), 0) = 0 THEN 0
                ELSE round(1000 * (1 - sum(i.c * (i.c - 1))::float
                                       / ((c.annotators - 1) * sum(i.c))))::int
           END AS score,
           coalesce(bool_or(i.labelled), false) AS labelled
    FROM candidates c LEFT JOIN items i ON i.document_id = c.document_id
    GROUP BY c.document_id, c.annotators
)
SELECT document_id, score FROM scored
WHERE (%(label)s::int IS NULL OR labelled)
  AND (NOT %(disagree)s OR score > 0)
  AND {keyset}
ORDER BY {order}
LIMIT %(limit)s
"""
KEYSET = {
    "disagreement": (
        "(%(score)s::int IS NULL OR score < %(score)s"
        " OR (score = %(score)s AND document_id > %(after)s))",
        "score DESC, document_id",
    ),
    "document": ("(%(after)s::int IS NULL OR document_id > %(after)s)", "document_id"),
}


def parse_cursor(cursor: str) -> tuple[int, int] | None:
    """A page cursor "score.document" as two ints; None for a malformed one."""
    score, _, after = cursor.partition(".")
    try:
        return int(score), int(after)
    except ValueError:
        return None


def review_queue(
    project, filters: QueueFilters, *, after: tuple[int, int] | None, limit: int
) -> list[QueueRow]:
    """One page of the queue after the cursor (score, document id): one query for the
    scores, in the database, and two for the page's titles and versions."""
    scores = _scores(project, filters, after=after, limit=limit)
    titles = dict(
        Document.objects.filter(pk__in=[pk for pk, _ in scores]).values_list(
            "pk", "title"
        )
    )
    rows = {
        pk: QueueRow(pk, titles[pk], None if score < 0 else score)
        for pk, score in scores
    }
    versions = (
        Assignment.objects.filter(document_id__in=rows)
        .filter(is_gold=True)
        .union(Assignment.objects.filter(document_id__in=rows).submitted())
        .values_list("document_id", "is_gold", "annotator__username", "review_state")
        .order_by("annotator__username")
    )
    for document_id, is_gold, username, state in versions:
        if is_gold:
            rows[document_id].has_gold = True
        else:
            rows[document_id].versions.append((username, state))
    return list(rows.values())


def document_score(project, document_id: int) -> int:
    """The queue's score of one document (-1 when it has fewer than two annotators),
    to find the document after it."""
    scores = _scores(project, QueueFilters(), after=None, limit=1, only=document_id)
    return scores[0][1] if scores else -1


def _scores(
    project,
    filters: QueueFilters,
    *,
    after: tuple[int, int] | None,
    limit: int,
    only: int | None = None,
) -> list[tuple[int, int]]:
    keyset, order = KEYSET[filters.order]
    score, after_id = after if after else (None, None)
    params = {
        "project": project.pk,
        "only": only,
        "annotator": filters.annotator,
        "label": filters.label,
        "state": filters.state,
        "disagree": filters.disagree,
        "score": score if filters.order == "disagreement" else None,
        "after": after_id,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_SQL.format(keyset=keyset, order=order), params)
        return cursor.fetchall()
