"""The source-reliability registry: what our annotators say about each source, merging
duplicate sources, and the public reference ratings loaded beside them.

Annotators' ratings are aggregated per source and role (publisher, cited) by label
value, the ordinal every project's reliability scale shares. Reference ratings
(factuality, bias) come from public corpora and are kept apart, in Source.reference.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from annotate.agreement import reliability_agreement
from annotate.ingest.records import Rejection
from annotate.models import (
    Assignment,
    Document,
    Membership,
    Project,
    Rating,
    Source,
    SourceMerge,
)
from annotate.review import reviewable_projects

# Who sees aggregates


def registry_projects(user) -> QuerySet[Project]:
    """Projects whose ratings the user may see aggregated: those they review or manage.

    Annotators are left out on purpose: seeing how others rated a source would unblind them.
    """
    return reviewable_projects(user)


def can_merge_sources(user) -> bool:
    """Managers of any project and superusers: sources are shared by every project."""
    if user.is_superuser:
        return True
    return user.memberships.filter(role=Membership.Role.MANAGER).exists()


def counted_ratings(projects: QuerySet[Project]) -> QuerySet[Rating]:
    """Ratings that count: submitted, non-gold work of active users in these projects."""
    return Rating.objects.filter(
        assignment__document__project__in=projects,
        assignment__is_gold=False,
        assignment__status=Assignment.Status.SUBMITTED,
        assignment__annotator__is_active=True,
    )


def search_sources(terms: str) -> QuerySet[Source]:
    """Sources whose name, an alias or the domain contains `terms`, ignoring case."""
    terms = terms.strip()
    if not terms:
        return Source.objects.all()
    alias_match = RawSQL(
        "array_to_string(annotate_source.aliases, ' ') ILIKE %s",
        [
            "%"
            + terms.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            + "%"
        ],
    )
    return Source.objects.annotate(alias_match=alias_match).filter(
        Q(name__icontains=terms) | Q(domain__icontains=terms) | Q(alias_match=True)
    )


# Aggregates


@dataclass
class RoleReliability:
    """Our annotators' ratings of one source in one role."""

    role: str
    ratings: int = 0
    mean: float | None = None
    documents: int = 0
    annotators: int = 0
    # label value -> number of ratings
    distribution: dict[int, int] = field(default_factory=dict)
    alpha: float | None = None


def reliability_by_source(
    source_ids: Iterable[int], ratings: QuerySet[Rating]
) -> dict[int, dict[str, RoleReliability]]:
    """Per source and role: counts, mean value and distribution. Two aggregate queries."""
    ratings = ratings.filter(source_id__in=list(source_ids))
    result: dict[int, dict[str, RoleReliability]] = defaultdict(dict)
    totals = (
        ratings.values("source_id", "role")
        .annotate(
            n=Count("id"),
            mean=Avg("label__value"),
            documents=Count("assignment__document_id", distinct=True),
            annotators=Count("assignment__annotator_id", distinct=True),
        )
        .order_by()
    )
    for row in totals:
        result[row["source_id"]][row["role"]] = RoleReliability(
            role=row["role"],
            ratings=row["n"],
            mean=row["mean"],
            documents=row["documents"],
            annotators=row["annotators"],
        )
    spread = (
        ratings.values_list("source_id", "role", "label__value")
        .annotate(n=Count("id"))
        .order_by("label__value")
    )
    for source_id, role, value, n in spread:
        result[source_id][role].distribution[value] = n
    return dict(result)


def source_reliability(
    source: Source, ratings: QuerySet[Rating]
) -> dict[str, RoleReliability]:
    """One source's aggregates per role, with Krippendorff's ordinal alpha for each."""
    by_role = reliability_by_source([source.pk], ratings).get(source.pk, {})
    alphas = reliability_agreement(
        ratings=ratings.filter(source=source)
    ).alpha_by_group()
    for role, aggregate in by_role.items():
        aggregate.alpha = alphas.get(role)
    return by_role


# Merging


def _snapshot(source: Source) -> dict:
    return {
        "id": source.pk,
        "name": source.name,
        "aliases": source.aliases,
        "domain": source.domain,
        "factuality": source.factuality,
        "bias": source.bias,
        "reference": source.reference,
    }


def _union_aliases(keep: Source, other: Source) -> list[str]:
    known = {keep.name.casefold()}
    aliases = []
    for alias in [*keep.aliases, other.name, *other.aliases]:
        if alias.strip() and alias.casefold() not in known:
            known.add(alias.casefold())
            aliases.append(alias)
    return aliases


def _fold_colliding_ratings(keep: Source, other: Source) -> list[dict]:
    """Take out `other`'s ratings that the same assignment also gave `keep` in the same
    role (one rating per assignment, source and role is a database rule) and return them
    whole, each with the id of the rating that stays in its place."""
    also_rated_other = Rating.objects.filter(source=other).values("assignment_id")
    kept = {
        (assignment_id, role): pk
        for assignment_id, role, pk in Rating.objects.filter(
            source=keep, assignment_id__in=also_rated_other
        ).values_list("assignment_id", "role", "id")
    }
    folded = []
    for rating in Rating.objects.filter(source=other).select_related("label"):
        into = kept.get((rating.assignment_id, rating.role))
        if into is not None:
            folded.append(
                {
                    "id": rating.pk,
                    "folded_into": into,
                    "assignment": rating.assignment_id,
                    "role": rating.role,
                    "label": rating.label.name,
                    "value": rating.label.value,
                    "rationale": rating.rationale,
                    "evidence_start": rating.evidence_start,
                    "evidence_end": rating.evidence_end,
                    "evidence_text": rating.evidence_text,
                    "created_at": rating.created_at.isoformat(),
                }
            )
    Rating.objects.filter(pk__in=[row["id"] for row in folded]).delete()
    return folded


@transaction.atomic
def merge_sources(*, keep: Source, other: Source, actor) -> SourceMerge:
    """Fold `other` into `keep`: its ratings, documents and names move over, then it goes.

    A rating of `other` that collides with one of `keep` (the same assignment rated both
    names in the same role) cannot move: the rating already on `keep` stays, and the
    other is stored whole in the SourceMerge record, so no judgement is lost.
    """
    if keep.pk == other.pk:
        raise ValueError("A source cannot be merged into itself.")
    locked = {
        s.pk: s
        for s in Source.objects.select_for_update()
        .order_by("pk")
        .filter(pk__in=[keep.pk, other.pk])
    }
    keep, other = locked[keep.pk], locked[other.pk]
    snapshot = _snapshot(other)
    folded = _fold_colliding_ratings(keep, other)
    moved_ratings = Rating.objects.filter(source=other).update(source=keep)
    moved_documents = Document.objects.filter(publisher=other).update(publisher=keep)
    _repoint_other_relations(keep, other)
    keep.aliases = _union_aliases(keep, other)
    keep.domain = keep.domain or other.domain
    keep.factuality = keep.factuality or other.factuality
    keep.bias = keep.bias or other.bias
    keep.reference = {**other.reference, **keep.reference}
    other.delete()
    keep.save(update_fields=["aliases", "domain", "factuality", "bias", "reference"])
    return SourceMerge.objects.create(
        kept=keep,
        merged_name=snapshot["name"],
        merged=snapshot,
        actor=actor,
        moved_ratings=moved_ratings,
        moved_documents=moved_documents,
        folded_ratings=folded,
    )


def _repoint_other_relations(keep: Source, other: Source) -> None:
    """Any other table pointing at a source (earlier merges, later models) follows too."""
    for relation in Source._meta.related_objects:
        if relation.related_model in (Rating, Document) or not relation.field.concrete:
            continue
        if relation.many_to_many:
            continue
        relation.related_model._base_manager.filter(
            **{relation.field.name: other}
        ).update(**{relation.field.name: keep})


# Reference ratings from public corpora (news-media-reliability: emnlp18, acl2020)

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
