"""The review queue: documents with submitted work, most disputed first.

Each document's disagreement is stored on it and recomputed, in one query for all of
them, only for documents whose submitted work changed since (no row per span ever
reaches Python); pages are read through an index and cut by keyset on (score, id), so
a page costs the same wherever it is in a queue of any length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F

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


# Scores of the documents whose submitted work changed since they were last scored
# (the migration's triggers count the changes): the items of their submitted, non-gold
# work grouped by what they say, and per document the share of items on which
# annotator pairs agree: sum c(c-1) / ((n-1) sum c), where c is how many of the n
# annotators gave an item. That is pooled pairwise F1 (Dice) over spans (offsets and
# label), stances (target and label) and ratings (source, role, label). The changes
# count seen is stored with the score, so a change made meanwhile leaves it stale.
RESCORE_SQL = """
WITH stale AS (
    SELECT id, review_changes FROM annotate_document WHERE id = ANY(%(ids)s)
), work AS (
    SELECT a.id, a.document_id FROM annotate_assignment a
    JOIN stale ON stale.id = a.document_id
    WHERE a.status = 'submitted' AND NOT a.is_gold
), annotators AS (
    SELECT document_id, count(*) AS n FROM work GROUP BY document_id
), items AS (
    SELECT w.document_id, count(*) AS c
    FROM annotate_span s JOIN work w ON w.id = s.assignment_id
    GROUP BY w.document_id, s.start, s."end", s.label_id
    UNION ALL
    SELECT w.document_id, count(*)
    FROM annotate_stance t JOIN work w ON w.id = t.assignment_id
    GROUP BY w.document_id, t.target_id, t.label_id
    UNION ALL
    SELECT w.document_id, count(*)
    FROM annotate_rating r JOIN work w ON w.id = r.assignment_id
    GROUP BY w.document_id, r.source_id, r.role, r.label_id
), scored AS (
    SELECT n.document_id,
           CASE WHEN n.n < 2 THEN -1
                WHEN coalesce(sum(i.c), 0) = 0 THEN 0
                ELSE round(1000 * (1 - sum(i.c * (i.c - 1))::float
                                       / ((n.n - 1) * sum(i.c))))::int
           END AS score
    FROM annotators n LEFT JOIN items i ON i.document_id = n.document_id
    GROUP BY n.document_id, n.n
)
UPDATE annotate_document d
   SET review_score = scored.score, review_scored_changes = stale.review_changes
  FROM stale LEFT JOIN scored ON scored.document_id = stale.id
 WHERE d.id = stale.id
"""

# One page of the queue from the stored scores, through the document_review_queue
# index; the filters look at the document's submitted, non-gold work.
QUEUE_SQL = """
SELECT d.id, d.review_score FROM annotate_document d
WHERE d.project_id = %(project)s AND d.review_score IS NOT NULL
  AND (NOT %(disagree)s OR d.review_score > 0)
  AND (%(annotator)s::int IS NULL OR EXISTS (
        SELECT 1 FROM annotate_assignment a WHERE a.document_id = d.id
           AND a.status = 'submitted' AND NOT a.is_gold
           AND a.annotator_id = %(annotator)s))
  AND (%(state)s = '' OR EXISTS (
        SELECT 1 FROM annotate_assignment a WHERE a.document_id = d.id
           AND a.status = 'submitted' AND NOT a.is_gold
           AND a.review_state = %(state)s))
  AND (%(label)s::int IS NULL OR EXISTS (
        SELECT 1 FROM annotate_assignment a WHERE a.document_id = d.id
           AND a.status = 'submitted' AND NOT a.is_gold
           AND (EXISTS (SELECT 1 FROM annotate_span s
                         WHERE s.assignment_id = a.id AND s.label_id = %(label)s)
             OR EXISTS (SELECT 1 FROM annotate_stance t
                         WHERE t.assignment_id = a.id AND t.label_id = %(label)s)
             OR EXISTS (SELECT 1 FROM annotate_rating r
                         WHERE r.assignment_id = a.id AND r.label_id = %(label)s))))
  AND {keyset}
ORDER BY {order}
LIMIT %(limit)s
"""
KEYSET = {
    # The first condition bounds the index scan; the second cuts within one score.
    "disagreement": (
        "(%(score)s::int IS NULL OR d.review_score <= %(score)s"
        " AND (d.review_score < %(score)s OR d.id > %(after)s))",
        "d.review_score DESC, d.id",
    ),
    "document": ("(%(after)s::int IS NULL OR d.id > %(after)s)", "d.id"),
}


RESCORE_BATCH = 10_000


def rescore(project) -> None:
    """Bring the stored scores of the project's changed documents up to date: one
    query through the document_review_unscored index when nothing changed. The ids go in
    as an array, so the planner looks them up by key whatever its statistics say."""
    stale = (
        Document.objects.filter(project=project)
        .alias(unscored=F("review_changes") - F("review_scored_changes"))
        .filter(unscored__gt=0)  # through the document_review_unscored index
        .order_by()
        .values_list("id", flat=True)
    )
    while ids := list(stale[:RESCORE_BATCH]):
        with connection.cursor() as cursor:
            cursor.execute(RESCORE_SQL, {"ids": ids})
        if len(ids) < RESCORE_BATCH:
            return


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
    rescore(project)
    score = (
        Document.objects.filter(pk=document_id, project=project)
        .values_list("review_score", flat=True)
        .first()
    )
    return -1 if score is None else score


def _scores(
    project,
    filters: QueueFilters,
    *,
    after: tuple[int, int] | None,
    limit: int,
) -> list[tuple[int, int]]:
    rescore(project)
    keyset, order = KEYSET[filters.order]
    score, after_id = after if after else (None, None)
    params = {
        "project": project.pk,
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
