"""After a bulk load: the follow-up task that stores the full-text vectors the loader left
out, and the statistics refresh of the tables a load wrote.

The loader inserts documents without their vector (computing it was ~95% of the INSERT);
until this task has run, the search computes the vector of those documents on the fly
(DocumentQuerySet.search), so a document is findable as soon as its batch commits.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.tasks import task

from annotate.models import Document


@task
def fill_search(project_id: int) -> int:
    """Store the vectors of the project's documents that have none; returns the count."""
    filled = Document.objects.filter(project_id=project_id).fill_search()
    if filled:
        analyze(["annotate_document"])
    return filled


def queue_fill_search(project_id: int) -> None:
    """Queue the vectors' task once the load's transaction (if any) has committed."""
    transaction.on_commit(lambda: fill_search.enqueue(project_id))


# The document columns the screens' queries filter, join and sort on: the loader's
# ANALYZE reads only these (0.15 s against 0.44 s for every column at 10,000 articles:
# the texts, the raw input and the vectors are the expensive ones); the follow-up task
# analyzes the whole table once the vectors are in.
DOCUMENT_KEY_COLUMNS = (
    "id",
    "project_id",
    "content_hash",
    "story_key",
    "external_id",
    "publisher_id",
    "assignment_count",
    "review_score",
    "review_changes",
    "review_scored_changes",
    "created_at",
)


def analyze(
    tables: list[str], columns: dict[str, tuple[str, ...]] | None = None
) -> None:
    """Fresh planner statistics after a bulk write (autovacuum would come minutes later:
    until then a query planned on an empty table's statistics scans everything). The
    row count is always refreshed; `columns` limits a table's column statistics."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            listed = (columns or {}).get(table)
            only = f" ({', '.join(map(quote, listed))})" if listed else ""
            cursor.execute(f"ANALYZE {quote(table)}{only}")
