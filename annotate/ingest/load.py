"""The one writer of documents and their imported annotations: the import command, the
upload page and the full restore all load through `import_records`.

Documents go in by COPY into a staging table, then one INSERT ... ON CONFLICT DO
NOTHING per batch, so re-imports add nothing. Their full-text vectors are left out of
the INSERT (computing them was most of its cost): a follow-up task stores them, and the
search finds a document without one meanwhile (annotate/ingest/search.py). The end of
a load refreshes the planner statistics of the tables it wrote; what records say about their documents
follows in the same transaction (annotate/ingest/versions.py). Each batch commits on
its own (or, with strict, each file), so an import killed half-way leaves whole
documents only, and running it again completes it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from annotate import webhooks
from annotate.ingest.names import BadSetup, Names
from annotate.ingest.readers import read_paths
from annotate.ingest.records import (
    DocumentRecord,
    ProjectSetup,
    ReadItem,
    Rejection,
    holds_nul,
)
from annotate.ingest.search import DOCUMENT_KEY_COLUMNS, analyze, queue_fill_search
from annotate.ingest.versions import merged_records, names_in, write_versions
from annotate.models import (
    Assignment,
    Document,
    ImportRun,
    Project,
    Rating,
    ReviewEvent,
    Span,
    Stance,
)
from annotate.offsets import span_problem

BATCH_SIZE = 2000
MAX_REJECTIONS_KEPT = 10_000
STAGING_COLUMNS = (
    "external_id",
    "title",
    "text",
    "raw",
    "url",
    "publisher_id",
    "byline",
    "published_at",
    "language",
    "meta",
    "content_hash",
    "story_key",
)
# Only the loaded columns, without constraints: the INSERT into annotate_document checks them.
STAGING_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS import_staging (external_id text, title text, text text, raw text, "
    "url text, publisher_id bigint, byline text, published_at timestamptz, language text, meta jsonb, "
    "content_hash text, story_key text) ON COMMIT DELETE ROWS"
)
TEXT_FIELDS = ("text", "raw", "title", "byline", "publisher", "url", "external_id")
# What writing imported versions touches (annotate/ingest/versions.py), for ANALYZE.
VERSION_MODELS = (Assignment, Span, Stance, Rating, ReviewEvent)


class StrictImportFailed(Exception):
    """A file had a bad record under --strict, so nothing of it was kept."""


@dataclass
class LoadCounts:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    merged: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def copy(self) -> LoadCounts:
        return LoadCounts(
            self.read, self.imported, self.duplicates, self.merged, [*self.rejections]
        )


def file_of(origin: str) -> str:
    return origin.rsplit(":", 1)[0]


def import_paths(
    paths: Iterable[str],
    *,
    project: Project,
    format: str = "auto",
    strict: bool = False,
    user=None,
    on_progress: Callable[[LoadCounts], None] | None = None,
) -> ImportRun:
    """Read files, folders and archives and load them: what the command runs."""
    paths = [str(path) for path in paths]
    run = ImportRun.objects.create(
        project=project, user=user, format=format, files=paths, strict=strict
    )
    return import_records(
        read_paths(paths, format=format),
        project=project,
        run=run,
        strict=strict,
        importer=user,
        on_progress=on_progress,
    )


def import_records(
    items: Iterable[ReadItem],
    *,
    project: Project,
    run: ImportRun,
    strict: bool = False,
    importer=None,
    on_progress: Callable[[LoadCounts], None] | None = None,
) -> ImportRun:
    """Load every record into `project` as `importer` (None: the command line),
    recording counts and rejections on `run`."""
    loader = Loader(project, importer)
    counts = LoadCounts()
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["status"])

    def progress(counts: LoadCounts) -> None:
        # The upload page polls the run, so its counts follow every batch.
        ImportRun.objects.filter(pk=run.pk).update(
            read=counts.read,
            imported=counts.imported,
            duplicates=counts.duplicates,
            merged=counts.merged,
            rejected=len(counts.rejections),
        )
        if on_progress:
            on_progress(counts)

    try:
        for _file, file_items in groupby(items, key=lambda item: file_of(item.origin)):
            if strict:
                loader.load_file_strictly(file_items, counts, progress)
            else:
                loader.load_batches(loader.set_up(file_items, counts), counts, progress)
    except BaseException as error:
        _finish(run, counts, status=ImportRun.Status.FAILED, error=repr(error))
        if counts.imported and not connection.in_atomic_block:
            queue_fill_search(project.pk)  # the batches committed before the failure
        raise
    loader.after_load(counts)
    _finish(run, counts, status=ImportRun.Status.DONE)
    return run


def _finish(
    run: ImportRun, counts: LoadCounts, *, status: str, error: str = ""
) -> None:
    run.read = counts.read
    run.imported = counts.imported
    run.duplicates = counts.duplicates
    run.merged = counts.merged
    run.rejected = len(counts.rejections)
    run.rejections = [
        {"origin": r.origin, "reason": r.reason}
        for r in counts.rejections[:MAX_REJECTIONS_KEPT]
    ]
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    webhooks.notify(
        run.project_id, "import.finished", {"run": run.pk, "status": status}
    )


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Loader:
    """Turns one import's records into rows of one project."""

    def __init__(self, project: Project, importer=None) -> None:
        self.project = project
        self.names = Names(project, importer)
        self.wrote_versions = False

    def after_load(self, counts: LoadCounts) -> None:
        """Fresh statistics for what the load wrote, and the new documents' search
        vectors queued."""
        tables = [Document._meta.db_table] if counts.imported else []
        if self.wrote_versions:
            tables += [model._meta.db_table for model in VERSION_MODELS]
        analyze(tables, {Document._meta.db_table: DOCUMENT_KEY_COLUMNS})
        if counts.imported:
            queue_fill_search(self.project.pk)

    def set_up(
        self, items: Iterable[ReadItem], counts: LoadCounts
    ) -> Iterator[DocumentRecord | Rejection]:
        """Apply a full file's project line as it passes; when it cannot be applied,
        nothing of the file is loaded."""
        for item in items:
            if not isinstance(item, ProjectSetup):
                yield item
                continue
            try:
                self.names.apply_setup(item)
            except (BadSetup, DatabaseError) as error:
                self.names.forget()
                reason = f"{_first_line(error)}; nothing was restored"
                counts.rejections.append(Rejection(item.origin, reason))
                return

    def load_batches(self, items: Iterable, counts: LoadCounts, on_progress) -> None:
        """Load batch by batch; each commits on its own. Building the search vector is
        most of the database's work, so batches go to IMPORT_THREADS connections at
        once, unless the caller holds a transaction, which other connections cannot
        see."""
        threads = 1 if connection.in_atomic_block else settings.IMPORT_THREADS
        if threads == 1:
            for batch in _batches(items, BATCH_SIZE):
                records = self._screen(batch, counts)
                self._add_counts(self._insert_here(records), counts, on_progress)
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            pending: deque[Future] = deque()
            for batch in _batches(items, BATCH_SIZE):
                records = self._screen(batch, counts)
                self._resolve_names(records)
                pending.append(pool.submit(self._insert_batch, records))
                # A bounded queue keeps memory flat: wait for the oldest batch.
                while pending and (len(pending) > threads or pending[0].done()):
                    self._add_counts(pending.popleft().result(), counts, on_progress)
            for future in pending:
                self._add_counts(future.result(), counts, on_progress)

    def _resolve_names(self, records: list[DocumentRecord]) -> None:
        """Find or create what the records name, committed at once, before a worker
        thread inserts the batch (see names_in)."""
        for record in records:
            if record.publisher.strip():
                self.names.publisher_id(record.publisher, record.url)
        names_in(records, self.names)

    def _add_counts(self, added: LoadCounts, counts: LoadCounts, on_progress) -> None:
        counts.imported += added.imported
        counts.duplicates += added.duplicates
        counts.merged += added.merged
        if on_progress:
            on_progress(counts)

    def _insert_here(self, records: list[DocumentRecord]) -> LoadCounts:
        with transaction.atomic():
            return self._insert(records)

    def _insert_batch(self, records: list[DocumentRecord]) -> LoadCounts:
        """In a worker thread, on that thread's own connection (returned to the pool)."""
        try:
            return self._insert_here(records)
        finally:
            connection.close()

    def load_file_strictly(
        self, items: Iterable, counts: LoadCounts, on_progress
    ) -> None:
        before = counts.copy()
        items = iter(items)
        try:
            with transaction.atomic():
                for batch in _batches(self.set_up(items, counts), BATCH_SIZE):
                    records = self._screen(batch, counts)
                    if len(counts.rejections) > len(before.rejections):
                        raise StrictImportFailed
                    self._add_counts(self._insert(records), counts, None)
                if len(counts.rejections) > len(before.rejections):
                    raise StrictImportFailed  # the project line was refused
        except StrictImportFailed:
            # Nothing of the file is kept; its bad records are still all reported.
            for item in items:
                if not isinstance(item, ProjectSetup):
                    self._screen([item], counts)
            counts.imported, counts.duplicates = before.imported, before.duplicates
            counts.merged = before.merged
            self.names.forget()
        if on_progress:
            on_progress(counts)

    def _screen(self, batch: list, counts: LoadCounts) -> list[DocumentRecord]:
        records = []
        for item in batch:
            counts.read += 1
            problem = item if isinstance(item, Rejection) else problem_with(item)
            if problem:
                counts.rejections.append(problem)
            else:
                records.append(item)
        return records

    def _insert(self, records: list[DocumentRecord]) -> LoadCounts:
        """Insert the new documents of a batch and what the records say about them."""
        added = LoadCounts()
        if not records:
            return added
        rows = [self._row(record) for record in records]
        with connection.cursor() as cursor:
            cursor.execute(STAGING_TABLE)
            cursor.execute("TRUNCATE import_staging")
            columns = ", ".join(STAGING_COLUMNS)
            with cursor.cursor.copy(
                f"COPY import_staging ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            # The rows go in without their search vector (the trigger of migration 0020
            # skips them): queue_fill_search stores it after the load.
            cursor.execute("SELECT set_config('annotate.search_later', 'on', true)")
            # In content-hash order: two batches loading at once that hold the same new
            # texts then wait for each other in one order, never in a circle (deadlock).
            cursor.execute(
                f"INSERT INTO annotate_document (project_id, created_at, {columns}) "
                f"SELECT %s, now(), {columns} FROM import_staging ORDER BY content_hash "
                "ON CONFLICT (project_id, content_hash) DO NOTHING RETURNING id, content_hash",
                [self.project.pk],
            )
            inserted = {content_hash: pk for pk, content_hash in cursor.fetchall()}
            cursor.execute("SELECT set_config('annotate.search_later', '', true)")
        added.imported = len(inserted)
        added.duplicates = len(records) - len(inserted)
        annotated = [record for record in records if record.annotation_versions()]
        if annotated:
            self.wrote_versions = True
            added.merged = merged_records(annotated, set(inserted))
            write_versions(annotated, self._document_ids(annotated), self.names)
        return added

    def _document_ids(self, records: list[DocumentRecord]) -> dict[str, int]:
        """The documents the records are, by content hash: new or already there."""
        hashes = list({record.content_hash for record in records})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT content_hash, id FROM annotate_document "
                "WHERE project_id = %s AND content_hash = ANY(%s)",
                [self.project.pk, hashes],
            )
            return dict(cursor.fetchall())

    def _row(self, record: DocumentRecord) -> tuple:
        publisher_id = (
            self.names.publisher_id(record.publisher, record.url)
            if record.publisher.strip()
            else None
        )
        return (
            record.external_id[:300],
            record.title,
            record.text,
            record.raw,
            record.url[:2000],
            publisher_id,
            record.byline[:500],
            record.published_at,
            record.language[:20],
            json.dumps(record.meta, ensure_ascii=False, default=str),
            record.content_hash,
            record.story_key[:64],
        )


def problem_with(record: DocumentRecord) -> Rejection | None:
    """Last checks before the database would refuse the record (it checks them too)."""
    for name in TEXT_FIELDS:
        if "\x00" in getattr(record, name):
            return Rejection(
                record.origin,
                f"the {name} holds NUL characters, which PostgreSQL cannot store",
            )
    if holds_nul(record.meta):
        return Rejection(
            record.origin,
            "the metadata holds NUL characters, which PostgreSQL cannot store",
        )
    for version in record.annotation_versions():
        if problem := _version_problem(record.text, version):
            return Rejection(record.origin, problem)
    return None


def _version_problem(text: str, version) -> str | None:
    where = "gold" if version.is_gold else f"{version.annotator}'s assignment"
    choices = (
        ("status", version.status, Assignment.Status.values),
        ("review_state", version.review_state, Assignment.ReviewState.values),
    )
    for name, value, allowed in choices:
        if value not in allowed:
            return f"{where}: {name} {value!r} is not one of {', '.join(allowed)}"
    for span in version.spans:
        if problem := span_problem(text, span.start, span.end, snapshot=span.text):
            return problem
        if span.origin and span.origin not in Span.Origin.values:
            return f"{where}: span origin {span.origin!r} is not one of {', '.join(Span.Origin.values)}"
    for rating in version.ratings:
        if rating.role not in Rating.Role.values:
            return f"{where}: rating role {rating.role!r} is not one of {', '.join(Rating.Role.values)}"
    for item in (*version.classes, *version.ratings):
        if item.evidence_start is not None and (
            problem := span_problem(
                text, item.evidence_start, item.evidence_end, where=f"{where}: evidence"
            )
        ):
            return problem
    return None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
