"""The entities an annotator may link a span to, and what the link panel shows of them.

In a blind project an annotator must not learn from the panel what another person did
to the same document. Entities are shared by the project, so two things are held back:
an entity all of whose spans are other people's spans on this document (it exists, as
far as anyone can tell, because of them: a peer made it from their span), and any alias
that only other people's spans on this document gave an entity (linking adds the span's
text as an alias). Imported pre-annotations are not people's work and count as seen.

What is left as is: an entity with no spans at all (made in the admin or imported), and
the trigram ranking, which reads every alias of the entities it ranks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)

from annotate.models import Assignment, Entity, Span

CANDIDATES = 6


@dataclass(frozen=True, slots=True)
class Candidate:
    pk: int
    name: str
    aliases: list[str]


def _others_here(assignment: Assignment) -> Q:
    """Spans (seen from Span) of other people's versions of the assignment's document."""
    return Q(
        assignment__document_id=assignment.document_id,
        assignment__is_imported=False,
    ) & ~Q(assignment_id=assignment.pk)


def entities_for(assignment: Assignment) -> QuerySet[Entity]:
    """The project's entities the assignment's annotator may see and link to."""
    project = assignment.document.project
    entities = Entity.objects.filter(project=project)
    if not project.blind:
        return entities
    linked = Span.objects.filter(entity=OuterRef("pk"))
    return entities.exclude(
        Exists(linked.filter(_others_here(assignment)))
        & ~Exists(linked.exclude(_others_here(assignment)))
    )


def candidates_for(assignment: Assignment, text: str) -> list[Candidate]:
    """The entities resembling `text` (pg_trgm), best first, with the aliases the
    annotator may see: two queries in a blind project, one otherwise."""
    entities = list(entities_for(assignment).similar_to(text)[:CANDIDATES])
    hidden: dict[int, set[str]] = {}
    if entities and assignment.document.project.blind:
        hidden = _aliases_only_from_others_here(assignment, entities)
    return [
        Candidate(
            entity.pk,
            entity.name,
            [
                a
                for a in entity.aliases
                if a.casefold() not in hidden.get(entity.pk, ())
            ],
        )
        for entity in entities
    ]


def _aliases_only_from_others_here(
    assignment: Assignment, entities: list[Entity]
) -> dict[int, set[str]]:
    """Per entity, the (casefolded) span texts it is linked with only through other
    people's spans on this document: the aliases those links added."""
    rows = (
        Span.objects.filter(entity__in=entities)
        .annotate(here=ExpressionWrapper(_others_here(assignment), BooleanField()))
        .values_list("entity_id", "text", "here")
    )
    here: dict[int, set[str]] = {}
    elsewhere: dict[int, set[str]] = {}
    for entity_id, text, is_here in rows:
        (here if is_here else elsewhere).setdefault(entity_id, set()).add(
            text.casefold()
        )
    return {
        entity.pk: here.get(entity.pk, set()) - elsewhere.get(entity.pk, set())
        for entity in entities
    }
