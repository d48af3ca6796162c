"""The source-reliability registry: what our annotators say about each source, merging
duplicate sources, and the public reference ratings loaded beside them.

Annotators' ratings are aggregated per source and role (publisher, cited) by label
value, the ordinal every project's reliability scale shares. Reference ratings
(factuality, bias) come from public corpora and are kept apart, in Source.reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from annotate.models import (
    Assignment,
    Document,
    Membership,
    Project,
    Rating,
    Source,
    SourceMerge,
)
from annotate.quality.agreement import reliability_agreement
from annotate.review.decisions import reviewable_projects

# Who sees aggregates


def registry_projects(user) -> QuerySet[Project]:
    """Projects whose ratings the user may see aggregated: those they review or manage.

    Annotators are left out on purpose: seeing how others rated a source would unblind them.
    """
    return reviewable_projects(user)


def visible_sources(user) -> QuerySet[Source]:
    """The sources of the projects whose registry the user sees (every one for a
    superuser): names typed in other projects stay there."""
    if user.is_superuser:
        return Source.objects.all()
    return Source.objects.used_in(registry_projects(user))


def managed_projects(user) -> QuerySet[Project]:
    return Project.objects.filter(
        memberships__user=user,
        memberships__is_active=True,
        memberships__role=Membership.Role.MANAGER,
    )


def can_merge_sources(user) -> bool:
    """Whether the user may merge any sources at all: superusers, managers of a project."""
    if user.is_superuser:
        return True
    return user.is_active and managed_projects(user).exists()


class MergeRefused(ValueError):
    """A merge the actor may not make; the message says why."""


def merge_refusal(user, *sources: Source) -> str:
    """Why `user` may not merge `sources`, or "" when they may. Merging rewrites the
    ratings of every project that uses them, so it is for superusers, or for a manager
    of every project either source is used in."""
    if user.is_superuser:
        return ""
    if not can_merge_sources(user):
        return "Merging sources is for managers and superusers."
    elsewhere = Project.objects.exclude(pk__in=managed_projects(user).values("pk"))
    for source in sources:
        if Source.objects.filter(pk=source.pk).used_in(elsewhere).exists():
            return (
                f"“{source.name}” is also used in projects you do not manage: "
                "only a superuser can merge it."
            )
    return ""


def counted_ratings(projects: QuerySet[Project]) -> QuerySet[Rating]:
    """Ratings that count: submitted, non-gold work made here in these projects."""
    return Rating.objects.filter(
        assignment__document__project__in=projects,
        assignment__is_gold=False,
        assignment__status=Assignment.Status.SUBMITTED,
        assignment__is_imported=False,
    )


def search_sources(
    terms: str, sources: QuerySet[Source] | None = None
) -> QuerySet[Source]:
    """Sources (of `sources`, else all) whose name, an alias or the domain contains
    `terms`, ignoring case."""
    sources = Source.objects.all() if sources is None else sources
    terms = terms.strip()
    if not terms:
        return sources
    alias_match = RawSQL(
        "array_to_string(annotate_source.aliases, ' ') ILIKE %s",
        [
            "%"
            + terms.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            + "%"
        ],
    )
    return sources.annotate(alias_match=alias_match).filter(
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

    Raises MergeRefused when `actor` may not merge them (merge_refusal), checked with
    both sources locked, so no project starts using them in between.
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
    if refusal := merge_refusal(actor, keep, other):
        raise MergeRefused(refusal)
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
