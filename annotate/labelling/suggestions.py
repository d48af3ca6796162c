"""Suggestions: strings this project has already labelled (by anyone, in any document,
imported annotations included), proposed where they occur in a document.

A suggestion carries a string and a label, never who labelled it. In a blind project
nothing suggested may depend on anyone's version of the document on screen: the terms
and their labels come from the spans of the project's *other* documents (anyone's,
gold, imported) and from this document's imported pre-annotations, never from a
person's version of it, the annotator's own included (as elsewhere, their own spans
are no reason to suggest a string). That vocabulary is counted in one query for the
document, so a peer's change here can never show through a stale count."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.db.models import Count

from annotate.models import Assignment, Span

# The most used (string, label) pairs; enough for a project's vocabulary.
MAX_TERMS = 5000
MIN_TERM_CHARS = 2
VOCABULARY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: int
    end: int
    label_id: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.start}-{self.end}-{self.label_id}"


def suggestions_for(assignment: Assignment, own_spans: list[Span]) -> list[Suggestion]:
    """Where known strings occur in the document and the annotator has no span yet."""
    document = assignment.document
    if document.project.blind:
        uses = Counter(blind_vocabulary(document.project_id, document.pk))
    else:
        uses = Counter(project_vocabulary(document.project_id))
        # What this screen already shows is not a reason to suggest it here.
        uses.subtract((span.text, span.label_id) for span in own_spans)
    # Retired labels are not proposed again (label_list: loaded once per request).
    retired = {label.pk for label in document.project.label_list if label.retired}
    label_of: dict[str, int] = {}
    for (text, label_id), count in uses.most_common():
        if label_id in retired:
            continue
        if count > 0 and len(text.strip()) >= MIN_TERM_CHARS:
            label_of.setdefault(text, label_id)  # the label used most for that string
    if not label_of:
        return []
    taken = {(span.start, span.end) for span in own_spans}
    dismissed = set(
        assignment.dismissed_suggestions.values_list("start", "end", "label_id")
    )
    found = []
    for match in _pattern(tuple(sorted(label_of))).finditer(document.text):
        label_id = label_of[match.group()]
        if (match.start(), match.end()) not in taken and (
            match.start(),
            match.end(),
            label_id,
        ) not in dismissed:
            found.append(
                Suggestion(match.start(), match.end(), label_id, match.group())
            )
    return found


def project_vocabulary(project_id: int) -> dict[tuple[str, int], int]:
    """The project's most used (string, label) pairs and their use counts. Counting
    them reads every span of the project, so the result is kept for a minute in each
    process: a string labelled elsewhere is suggested here a minute later at most."""
    key = f"suggestions:vocabulary:{project_id}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        rows = (
            Span.objects.filter(assignment__document__project_id=project_id)
            .values_list("text", "label_id")
            .annotate(uses=Count("id"))
            .order_by("-uses")[:MAX_TERMS]
        )
        vocabulary = {(text, label_id): uses for text, label_id, uses in rows}
        cache.set(key, vocabulary, VOCABULARY_SECONDS)
    return vocabulary


def blind_vocabulary(project_id: int, document_id: int) -> dict[tuple[str, int], int]:
    """The vocabulary of a blind project as seen from one document: every span of the
    project but people's versions of that document (imported pre-annotations of it
    count). Kept for a minute per document in each process, like project_vocabulary;
    nothing done to the document itself can change it, so it needs no invalidation."""
    key = f"suggestions:blind-vocabulary:{project_id}:{document_id}"
    vocabulary = cache.get(key)
    if vocabulary is None:
        rows = (
            Span.objects.filter(assignment__document__project_id=project_id)
            .exclude(assignment__document_id=document_id, assignment__is_imported=False)
            .values_list("text", "label_id")
            .annotate(uses=Count("id"))
            .order_by("-uses")[:MAX_TERMS]
        )
        vocabulary = {(text, label_id): uses for text, label_id, uses in rows}
        cache.set(key, vocabulary, VOCABULARY_SECONDS)
    return vocabulary


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One alternation of all the terms at word boundaries, compiled once per
    vocabulary: a project's vocabulary changes far less often than its pages load."""
    # Longest strings first, so "Sergey Lavrov" wins over "Lavrov" at the same place.
    longest_first = sorted(terms, key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in longest_first) + r")(?!\w)"
    )
