"""Reference ratings from public corpora (news-media-reliability: emnlp18, acl2020),
read from their corpus.tsv and loaded into Source.reference beside our annotators'
ratings, never mixed with them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction

from annotate.ingest.records import Rejection
from annotate.models import Source

# The corpora's three-level factuality scale, as ordinals.
FACT_VALUES = {"low": 0, "mixed": 1, "high": 2}
REFERENCE_COLUMNS = ("source_url", "source_url_normalized", "ref", "fact", "bias")
MAX_BIAS_CHARS = 30


@dataclass(frozen=True)
class ReferenceRow:
    origin: str
    host: str  # without www.
    key: str  # the corpus id: host, with path segments joined by "-"
    url: str
    ref: str
    fact: str
    bias: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.strip("/")

    @property
    def is_section(self) -> bool:
        return self.key != self.host and bool(self.path)

    @property
    def name(self) -> str:
        """The name a new source gets: the host, and the path when the id has one."""
        return f"{self.host}/{self.path}" if self.is_section else self.host

    @property
    def ref_name(self) -> str:
        """The outlet's name as the review page's address spells it ("the-hill")."""
        slug = urlsplit(self.ref).path.strip("/").rsplit("/", 1)[-1]
        return slug.replace("-", " ").strip()


def host_of(url: str) -> str:
    """The host of a URL without "www.", lower-cased; "" when there is none."""
    if "://" not in url:
        url = "http://" + url
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def read_reference_corpus(path: Path) -> Iterator[ReferenceRow | Rejection]:
    """Rows of a corpus.tsv, or a Rejection (FILE:LINE: reason) for each bad one."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        missing = [c for c in REFERENCE_COLUMNS if c not in (header or [])]
        if missing:
            yield Rejection(f"{path}:1", f"missing columns: {', '.join(missing)}")
            return
        column = {name: header.index(name) for name in REFERENCE_COLUMNS}
        first_line = {}
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            origin = f"{path}:{line}"
            if len(cells) != len(header):
                yield Rejection(origin, f"{len(cells)} columns, expected {len(header)}")
                continue
            row = ReferenceRow(
                origin=origin,
                host=host_of(cells[column["source_url"]].strip()),
                key=cells[column["source_url_normalized"]].strip().lower(),
                url=cells[column["source_url"]].strip(),
                ref=cells[column["ref"]].strip(),
                fact=cells[column["fact"]].strip().lower(),
                bias=cells[column["bias"]].strip().lower(),
            )
            problem = _problem_with(row, first_line)
            if problem:
                yield Rejection(origin, problem)
                continue
            first_line[row.key] = line
            yield row


def _problem_with(row: ReferenceRow, first_line: dict[str, int]) -> str | None:
    if not row.key:
        return "empty source_url_normalized"
    if "." not in row.host:
        return f"no host in source_url {row.url!r}"
    if row.key in first_line:
        return f"duplicate of line {first_line[row.key]} ({row.key})"
    if row.fact not in FACT_VALUES:
        return f"unknown fact {row.fact!r} (expected low, mixed or high)"
    if not row.bias or len(row.bias) > MAX_BIAS_CHARS:
        return f"bias must be 1 to {MAX_BIAS_CHARS} characters"
    return None


@dataclass
class ReferenceImport:
    created: int = 0
    updated: int = 0
    rejections: list[Rejection] = field(default_factory=list)


class _SourceIndex:
    """Every source by domain and by lower-cased name and alias: one query up front."""

    def __init__(self) -> None:
        self.by_domain: dict[str, Source] = {}
        self.by_name: dict[str, Source] = {}
        for source in Source.objects.order_by("-id"):  # lowest id wins
            ids = {ratings.get("id") for ratings in source.reference.values()}
            self.add(source, section=bool(ids - {None, source.domain.lower()}))

    def add(self, source: Source, *, section: bool = False) -> None:
        # A section of a site ("itv.com-news") shares the site's domain but is not it.
        if source.domain and not section:
            self.by_domain[source.domain.lower()] = source
        for name in [source.name, *source.aliases]:
            self.by_name[name.casefold()] = source

    def match(self, row: ReferenceRow) -> Source | None:
        if row.is_section:
            names = [row.name, row.key]  # a section of a site: never the whole site
        else:
            if row.host in self.by_domain:
                return self.by_domain[row.host]
            names = [row.host, row.key, row.ref_name]
        return next(
            (
                self.by_name[n.casefold()]
                for n in names
                if n and n.casefold() in self.by_name
            ),
            None,
        )


def load_reference_ratings(
    rows: Iterable[ReferenceRow | Rejection], *, corpus: str, dry_run: bool = False
) -> ReferenceImport:
    """Store each row's ratings on its source (matched by domain, then name), creating
    sources that are new. The top-level factuality and bias follow the last corpus
    loaded; every corpus's own ratings stay in reference[corpus]."""
    result = ReferenceImport()
    index = _SourceIndex()
    with transaction.atomic():
        for row in rows:
            if isinstance(row, Rejection):
                result.rejections.append(row)
                continue
            source = index.match(row)
            if source is None:
                source = Source(name=row.name, domain=row.host)
                result.created += 1
            else:
                result.updated += 1
            source.domain = source.domain or row.host
            source.factuality, source.bias = row.fact, row.bias
            source.reference = {
                **source.reference,
                corpus: {
                    "id": row.key,
                    "url": row.url,
                    "ref": row.ref,
                    "fact": row.fact,
                    "fact_value": FACT_VALUES[row.fact],
                    "bias": row.bias,
                },
            }
            if not dry_run:
                source.save()
            index.add(source, section=row.is_section)
        if dry_run:
            transaction.set_rollback(True)
    return result
