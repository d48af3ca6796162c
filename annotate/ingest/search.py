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


def analyze(tables: list[str]) -> None:
    """Fresh planner statistics after a bulk write (autovacuum would come minutes later:
    until then a query planned on an empty table's statistics scans everything)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
