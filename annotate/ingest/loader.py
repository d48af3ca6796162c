"""Bulk loading of DocumentRecords into a project: COPY into a staging table, then one
INSERT ... ON CONFLICT DO NOTHING per batch, so re-imports add nothing.

Each batch commits on its own (or, with strict, each file), so an import killed half-way
leaves whole documents only, and running it again completes it.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotate.ingest.records import DocumentRecord, Rejection
from annotate.models import (
    Assignment,
    ImportRun,
    Label,
    Project,
    Source,
    Span,
    Stance,
    StanceTarget,
)

BATCH_SIZE = 2000
LOAD_THREADS = int(os.environ.get("NEWSAPP_IMPORT_THREADS", "2"))
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
LABEL_COLOURS = (
    "#f4a261",
    "#2a9d8f",
    "#e9c46a",
    "#8ecae6",
    "#cdb4db",
    "#ffafcc",
    "#b7b7a4",
    "#90be6d",
)


class StrictImportFailed(Exception):
    """A file had a bad record under --strict, so nothing of it was kept."""


@dataclass
class LoadCounts:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def domain_of(url: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")[:253]


def file_of(origin: str) -> str:
    return origin.rsplit(":", 1)[0]


def import_records(
    items: Iterable[DocumentRecord | Rejection],
    *,
    project: Project,
    run: ImportRun,
    strict: bool = False,
    on_progress: Callable[[LoadCounts], None] | None = None,
) -> ImportRun:
    """Load every record into `project`, recording counts and rejections on `run`."""
    loader = Loader(project)
    counts = LoadCounts()
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["status"])

    def progress(counts: LoadCounts) -> None:
        # The upload page polls the run, so its counts follow every batch.
        ImportRun.objects.filter(pk=run.pk).update(
            read=counts.read,
            imported=counts.imported,
            duplicates=counts.duplicates,
            rejected=len(counts.rejections),
        )
        if on_progress:
            on_progress(counts)

    try:
        for _file, file_items in groupby(items, key=lambda item: file_of(item.origin)):
            if strict:
                loader.load_file_strictly(file_items, counts, progress)
            else:
                loader.load_batches(file_items, counts, progress)
    except BaseException as error:
        _finish(run, counts, status=ImportRun.Status.FAILED, error=repr(error))
        raise
    _finish(run, counts, status=ImportRun.Status.DONE)
    return run


def restore_project(
    paths: list[str],
    *,
    project: Project,
    run: ImportRun,
    on_progress: Callable[[LoadCounts], None] | None = None,
) -> ImportRun:
    """Restore `full` exports into `project` (annotate/ingest/full.py), recorded on `run`
    like any import."""
    from annotate.ingest.full import restore_paths

    counts = LoadCounts()
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["status"])

    def progress(counts: LoadCounts) -> None:
        ImportRun.objects.filter(pk=run.pk).update(
            read=counts.read, imported=counts.imported, duplicates=counts.duplicates
        )
        if on_progress:
            on_progress(counts)

    try:
        restore_paths(paths, project=project, counts=counts, on_progress=progress)
    except BaseException as error:
        _finish(run, counts, status=ImportRun.Status.FAILED, error=repr(error))
        raise
    _finish(run, counts, status=ImportRun.Status.DONE)
    return run


def _finish(
    run: ImportRun, counts: LoadCounts, *, status: str, error: str = ""
) -> None:
    run.read = counts.read
    run.imported = counts.imported
    run.duplicates = counts.duplicates
    run.rejected = len(counts.rejections)
    run.rejections = [
        {"origin": r.origin, "reason": r.reason}
        for r in counts.rejections[:MAX_REJECTIONS_KEPT]
    ]
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save()


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
    """Turns records into rows for one project, caching label, source and user look-ups."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.sources: dict[str, int] = {}
        self.labels: dict[tuple[str, str], Label] = {}
        self.targets: dict[str, StanceTarget] = {}
        self.annotators: dict[str, object] = {}

    def load_batches(self, items: Iterable, counts: LoadCounts, on_progress) -> None:
        """Load batch by batch; each commits on its own. Building the search vector is
        most of the database's work, so batches go to LOAD_THREADS connections at once,
        unless the caller holds a transaction, which other connections cannot see."""
        threads = 1 if connection.in_atomic_block else LOAD_THREADS
        if threads == 1:
            for batch in _batches(items, BATCH_SIZE):
                records = self._screen(batch, counts)
                self._add_counts(
                    self._insert_here(records), records, counts, on_progress
                )
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            pending: deque[tuple[Future, list[DocumentRecord]]] = deque()
            for batch in _batches(items, BATCH_SIZE):
                records = self._screen(batch, counts)
                self._resolve_names(records)
                pending.append((pool.submit(self._insert_batch, records), records))
                # A bounded queue keeps memory flat: wait for the oldest batch.
                while pending and (len(pending) > threads or pending[0][0].done()):
                    future, done = pending.popleft()
                    self._add_counts(future.result(), done, counts, on_progress)
            for future, done in pending:
                self._add_counts(future.result(), done, counts, on_progress)

    def _resolve_names(self, records: list[DocumentRecord]) -> None:
        """Find or create the sources, labels, targets and users the records name, here
        and committed at once, before a worker thread inserts the batch: a row one
        worker created in its open transaction is invisible to the others, and the
        id it left in the shared caches would break their foreign keys."""
        for record in records:
            if record.publisher:
                self._source_id(record.publisher, record.url)
            if record.spans or record.classes:
                self._annotator(record.annotator or "import")
            for span in record.spans:
                self._label(Label.Kind.ENTITY, span.label)
            for item in record.classes:
                self._target(item.target or "Document label")
                self._label(Label.Kind.STANCE, item.label)

    def _add_counts(
        self, imported: int, records: list, counts: LoadCounts, on_progress
    ) -> None:
        counts.imported += imported
        counts.duplicates += len(records) - imported
        if on_progress:
            on_progress(counts)

    def _insert_here(self, records: list[DocumentRecord]) -> int:
        with transaction.atomic():
            return self._insert(records)

    def _insert_batch(self, records: list[DocumentRecord]) -> int:
        """In a worker thread, on that thread's own connection (returned to the pool)."""
        try:
            return self._insert_here(records)
        finally:
            connection.close()

    def load_file_strictly(
        self, items: Iterable, counts: LoadCounts, on_progress
    ) -> None:
        before = LoadCounts(
            counts.read, counts.imported, counts.duplicates, list(counts.rejections)
        )
        try:
            with transaction.atomic():
                for batch in _batches(items, BATCH_SIZE):
                    records = self._screen(batch, counts)
                    if len(counts.rejections) > len(before.rejections):
                        raise StrictImportFailed
                    imported = self._insert(records)
                    counts.imported += imported
                    counts.duplicates += len(records) - imported
        except StrictImportFailed:
            # Nothing of the file is kept; its bad records are still all reported.
            for item in items:
                self._screen([item], counts)
            counts.imported, counts.duplicates = before.imported, before.duplicates
            self.sources.clear()
            self.labels.clear()
            self.targets.clear()
        if on_progress:
            on_progress(counts)

    def _screen(self, batch: list, counts: LoadCounts) -> list[DocumentRecord]:
        records = []
        for item in batch:
            counts.read += 1
            problem = item if isinstance(item, Rejection) else _problem_with(item)
            if problem:
                counts.rejections.append(problem)
            else:
                records.append(item)
        return records

    def _insert(self, records: list[DocumentRecord]) -> int:
        """Insert the new documents of a batch; returns how many were new."""
        if not records:
            return 0
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
            cursor.execute(
                f"INSERT INTO annotate_document (project_id, created_at, {columns}) "
                f"SELECT %s, now(), {columns} FROM import_staging "
                "ON CONFLICT (project_id, content_hash) DO NOTHING RETURNING id, content_hash",
                [self.project.pk],
            )
            inserted = {content_hash: pk for pk, content_hash in cursor.fetchall()}
        annotated = [
            r for r in records if (r.spans or r.classes) and r.content_hash in inserted
        ]
        if annotated:
            self._add_imported_annotations(annotated, inserted)
        return len(inserted)

    def _row(self, record: DocumentRecord) -> tuple:
        publisher_id = (
            self._source_id(record.publisher, record.url)
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

    def _source_id(self, name: str, url: str = "") -> int:
        """The publisher's Source: by name or alias, else by the article's domain
        (where reference ratings are keyed), else a new one."""
        name = name.strip()[:300]
        key = name.casefold()
        if key not in self.sources:
            domain = domain_of(url)
            source = Source.objects.named(name)
            if source is None and domain:
                source = Source.objects.filter(domain=domain).order_by("id").first()
                if source is not None and key not in map(str.casefold, source.aliases):
                    source.aliases = [*source.aliases, name]
                    source.save(update_fields=["aliases"])
            if source is None:
                try:
                    with transaction.atomic():
                        source = Source.objects.create(name=name, domain=domain)
                except IntegrityError:  # another import created it meanwhile
                    source = Source.objects.named(name)
            self.sources[key] = source.pk
        return self.sources[key]

    def _add_imported_annotations(
        self, records: list[DocumentRecord], inserted: dict[str, int]
    ) -> None:
        assignments = Assignment.objects.bulk_create(
            [
                Assignment(
                    document_id=inserted[record.content_hash],
                    annotator=self._annotator(record.annotator or "import"),
                    status=Assignment.Status.SUBMITTED,
                    submitted_at=timezone.now(),
                )
                for record in records
            ]
        )
        spans, stances = [], []
        for record, assignment in zip(records, assignments, strict=True):
            spans += [
                Span(
                    assignment=assignment,
                    start=span.start,
                    end=span.end,
                    text=span.text,
                    label=self._label(Label.Kind.ENTITY, span.label),
                    origin=Span.Origin.IMPORTED,
                )
                for span in record.spans
            ]
            stances += [
                Stance(
                    assignment=assignment,
                    target=self._target(item.target or "Document label"),
                    label=self._label(Label.Kind.STANCE, item.label),
                )
                for item in {item.target: item for item in record.classes}.values()
            ]
        Span.objects.bulk_create(spans, ignore_conflicts=True)
        Stance.objects.bulk_create(stances, ignore_conflicts=True)

    def _annotator(self, name: str):
        """Imported work hangs off an inactive user named after the tool that made it."""
        username = f"imported:{name}"[:150]
        if username not in self.annotators:
            user_model = get_user_model()
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"is_active": False}
            )
            self.annotators[username] = user
        return self.annotators[username]

    def _label(self, kind: str, name: str) -> Label:
        key = (kind, name.casefold())
        if key not in self.labels:
            label = Label.objects.filter(
                project=self.project, kind=kind, name__iexact=name
            ).first()
            if label is None:
                colour = LABEL_COLOURS[
                    Label.objects.filter(project=self.project, kind=kind).count()
                    % len(LABEL_COLOURS)
                ]
                label, _ = Label.objects.get_or_create(
                    project=self.project,
                    kind=kind,
                    name=name[:100],
                    defaults={"colour": colour},
                )
            self.labels[key] = label
        return self.labels[key]

    def _target(self, name: str) -> StanceTarget:
        if name not in self.targets:
            self.targets[name], _ = StanceTarget.objects.get_or_create(
                project=self.project, name=name[:300]
            )
        return self.targets[name]


def _problem_with(record: DocumentRecord) -> Rejection | None:
    """Last checks before the database would refuse the record (it checks them too)."""
    for name in ("text", "raw", "title", "byline", "publisher", "url", "external_id"):
        if "\x00" in getattr(record, name):
            return Rejection(
                record.origin,
                f"the {name} holds NUL characters, which PostgreSQL cannot store",
            )
    for span in record.spans:
        if not 0 <= span.start < span.end <= len(record.text):
            return Rejection(
                record.origin,
                f"span {span.start}-{span.end} is outside the text of {len(record.text)} characters",
            )
        if record.text[span.start : span.end] != span.text:
            return Rejection(
                record.origin,
                f"span {span.start}-{span.end} {record.text[span.start : span.end]!r} does not match its text {span.text!r}",
            )
    return None


def import_paths(
    paths: Iterable[str],
    *,
    project: Project,
    format: str = "auto",
    strict: bool = False,
    user=None,
    on_progress: Callable[[LoadCounts], None] | None = None,
) -> ImportRun:
    """Read files, folders and archives and load them: what the command and the upload run."""
    from annotate.ingest.formats import FULL, read_paths

    paths = [str(path) for path in paths]
    run = ImportRun.objects.create(
        project=project, user=user, format=format, files=paths, strict=strict
    )
    if format == FULL:
        return restore_project(paths, project=project, run=run, on_progress=on_progress)
    return import_records(
        read_paths(paths, format=format),
        project=project,
        run=run,
        strict=strict,
        on_progress=on_progress,
    )
