"""Which annotations an export takes, and the streaming that every annotated shape shares.

Documents come from a server-side cursor in id order; for each chunk of them the
assignments, then the items (spans, stances, ratings) of those assignments, are fetched in
one query each, so the query count grows with the number of chunks, not of documents.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import batched
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from annotate.models import Assignment, Document, Project

CHUNK_SIZE = 1000
GOLD, ALL, MAJORITY = "gold", "all", "majority"
SELECTIONS = (GOLD, ALL, MAJORITY)

type Item = tuple[Any, ...]
type ItemFetcher = Callable[[list[int]], dict[int, list[Item]]]


@dataclass(frozen=True, slots=True)
class Version:
    """What one line says about one document: the gold version, one annotator's
    version, or what more than half of the document's annotators agree on."""

    assignment_ids: tuple[int, ...]
    annotator_id: int | None = None
    annotator: str | None = None
    review_state: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """The keys an --all line carries to say whose version it is."""
        if self.annotator is None:
            return {}
        return {
            "annotator": self.annotator,
            "annotator_id": self.annotator_id,
            "review_state": self.review_state,
        }


@dataclass
class ExportReport:
    """What the export chose and noticed, for the command's summary and ExportRun."""

    selection: str = ""
    notices: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    warning_count: int = 0
    max_warnings_kept: int = 1000

    def warn(self, **warning: Any) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.max_warnings_kept:
            self.warnings.append(warning)


def choose_selection(project: Project, requested: str | None) -> tuple[str, str]:
    """The selection to export and, when the user did not name one, a note saying which."""
    if requested:
        if requested not in SELECTIONS:
            raise ValueError(f"unknown selection {requested!r}")
        return requested, ""
    if Assignment.objects.for_project(project).gold().exists():
        return GOLD, ""
    return MAJORITY, (
        f"project {project.slug!r} has no gold (adjudicated) annotations: exporting what "
        "more than half of each document's annotators agree on (--majority); "
        "--all gives every annotator's version"
    )


def any_of(ids: list[int]) -> RawSQL:
    """`ids` as one array parameter, for `field__in=`. A chunk's thousands of ids as
    thousands of parameters cost Django and psycopg more to build and parse than the
    query costs PostgreSQL (a fifth of a whole export's time)."""
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def document_rows(
    documents: QuerySet[Document], fields: Iterable[str], chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[dict[str, Any], ...]]:
    """Chunks of document rows (dicts of `fields`), read through a server-side cursor."""
    rows = documents.order_by("id").values("id", *fields).iterator(chunk_size)
    return batched(rows, chunk_size)


def versions_of(document_ids: list[int], selection: str) -> dict[int, list[Version]]:
    """The versions each document is exported in, by document id (one query)."""
    assignments = Assignment.objects.filter(document_id__in=any_of(document_ids))
    if selection == GOLD:
        assignments = assignments.filter(is_gold=True)
    else:
        assignments = assignments.filter(
            is_gold=False, status=Assignment.Status.SUBMITTED
        )
    if selection == MAJORITY:
        # A rejected version is one the reviewer said not to trust: it does not vote.
        assignments = assignments.filter(
            ~Q(review_state=Assignment.ReviewState.REJECTED)
        )
    rows = assignments.order_by("document_id", "annotator__username", "id").values_list(
        "id", "document_id", "annotator_id", "annotator__username", "review_state"
    )
    versions: dict[int, list[Version]] = defaultdict(list)
    voters: dict[int, list[int]] = defaultdict(list)
    for pk, document_id, annotator_id, username, review_state in rows:
        if selection == ALL:
            versions[document_id].append(
                Version((pk,), annotator_id, username, review_state)
            )
        elif selection == GOLD:
            versions[document_id].append(Version((pk,)))
        else:
            voters[document_id].append(pk)
    for document_id, pks in voters.items():
        versions[document_id].append(Version(tuple(pks)))
    return versions


def agreed_items(
    version: Version,
    items: dict[int, list[Item]],
    key: Callable[[Item], Item],
) -> list[Item]:
    """The items of the version: of its one assignment, or, for a majority version, each
    item whose key more than half of the assignments share (the commonest form of it)."""
    if len(version.assignment_ids) == 1:
        return items.get(version.assignment_ids[0], [])
    votes: Counter[Item] = Counter()
    forms: dict[Item, Counter[Item]] = defaultdict(Counter)
    for pk in version.assignment_ids:
        mine = {key(item): item for item in items.get(pk, [])}
        votes.update(mine.keys())
        for item_key, item in mine.items():
            forms[item_key][item] += 1
    needed = len(version.assignment_ids) / 2
    agreed = [forms[k].most_common(1)[0][0] for k, n in votes.items() if n > needed]
    return sorted(agreed, key=key)


def annotated_documents(
    documents: QuerySet[Document],
    *,
    selection: str,
    fields: Iterable[str],
    fetch_items: ItemFetcher,
    key: Callable[[Item], Item],
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[tuple[dict[str, Any], Version, list[Item]]]:
    """(document row, version, items) for every version of every document that has one."""
    for chunk in document_rows(documents, fields, chunk_size):
        versions = versions_of([row["id"] for row in chunk], selection)
        if not versions:
            continue
        assignment_ids = [
            pk
            for listed in versions.values()
            for v in listed
            for pk in v.assignment_ids
        ]
        items = fetch_items(assignment_ids)
        for row in chunk:
            for version in versions.get(row["id"], ()):
                yield row, version, agreed_items(version, items, key)


def grouped(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[Item]]:
    """Rows whose first column is the assignment id, grouped by it (the rest kept)."""
    by_assignment: dict[int, list[Item]] = defaultdict(list)
    for row in rows:
        by_assignment[row[0]].append(row[1:])
    return by_assignment
