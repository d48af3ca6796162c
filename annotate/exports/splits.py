"""Leak-free train/dev/test splits: every story (or source, or document) in one split.

Groups are ordered by a hash of the seed and the group key, then laid end to end by
their document counts; a group goes to the split its first document falls in. The order
is deterministic for a seed, nothing is held in memory per document, and the membership
is a subquery, so each split streams like the whole project does.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from annotate.models import Document

SPLIT_BY = ("story", "source", "document")
SPLIT_NAMES = {2: ("train", "test"), 3: ("train", "dev", "test")}
# The group a document belongs to (over a table alias `t`); a document without a story
# or a publisher is a group of its own.
GROUP_KEYS = {
    "story": "COALESCE(NULLIF({t}story_key, ''), 'document:' || {t}id::text)",
    "source": "COALESCE('source:' || {t}publisher_id::text, 'document:' || {t}id::text)",
    "document": "{t}id::text",
}


class SplitError(ValueError):
    """The split asked for cannot be made (does not add to 100, unknown grouping...)."""


def parse_split(spec: str) -> list[tuple[str, int]]:
    """'80/10/10' -> [('train', 80), ('dev', 10), ('test', 10)]."""
    try:
        parts = [int(part) for part in spec.split("/")]
    except ValueError:
        raise SplitError(
            f"--split {spec!r}: give whole percentages like 80/10/10"
        ) from None
    if len(parts) < 2 or any(part <= 0 for part in parts):
        raise SplitError(f"--split {spec!r}: give two or more positive percentages")
    if sum(parts) != 100:
        raise SplitError(f"--split {spec!r} adds up to {sum(parts)}, not 100")
    names = SPLIT_NAMES.get(len(parts)) or tuple(f"split{i}" for i in range(len(parts)))
    return list(zip(names, parts, strict=True))


def split_documents(
    documents: QuerySet[Document], *, split: str, by: str, seed: int
) -> dict[str, QuerySet[Document]]:
    """The documents of each split, by split name, in the order given."""
    if by not in GROUP_KEYS:
        raise SplitError(f"--split-by {by!r}: choose one of {', '.join(SPLIT_BY)}")
    parts = parse_split(split)
    base_sql, base_params = documents.values("id").query.sql_with_params()
    key, key_of_d = GROUP_KEYS[by].format(t=""), GROUP_KEYS[by].format(t="d.")
    # Each group's position: the share of documents in the groups before it, 0 to 100.
    positions = (
        f"WITH base AS ({base_sql}), "
        f"grouped AS (SELECT {key} AS key, count(*) AS n FROM annotate_document "
        "WHERE id IN (SELECT id FROM base) GROUP BY 1), "
        "placed AS (SELECT key, 100.0 * (sum(n) OVER (ORDER BY md5(%s || key), key) - n) "
        "/ sum(n) OVER () AS position FROM grouped) "
        f"SELECT d.id FROM annotate_document d JOIN placed p ON p.key = {key_of_d} "
        "WHERE d.id IN (SELECT id FROM base) AND p.position >= %s AND p.position < %s"
    )
    splits, low = {}, 0
    for name, share in parts:
        params = (*base_params, f"{seed}:", low, low + share)
        splits[name] = documents.filter(pk__in=RawSQL(positions, params))
        low += share
    return splits
