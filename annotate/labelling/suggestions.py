"""Suggestions: strings this project has already labelled (by anyone, in any document,
imported annotations included), proposed where they occur in a document.

A suggestion carries a string and a label, never who labelled it. In a blind project
the strings other people labelled in this very document are left out (imported
pre-annotations aside): proposing them at their places would draw a peer's
annotation of the document on the screen."""

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
    uses = Counter(project_vocabulary(document.project_id))
    # What this screen already shows is not a reason to suggest it here: the
    # annotator's own spans, and in a blind project the peers' spans of this document.
    uses.subtract((span.text, span.label_id) for span in own_spans)
    if document.project.blind:
        uses.subtract(
            Span.objects.filter(
                assignment__document_id=document.pk,
                assignment__is_imported=False,
            )
            .exclude(assignment=assignment)
            .values_list("text", "label_id")
        )
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


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One alternation of all the terms at word boundaries, compiled once per
    vocabulary: a project's vocabulary changes far less often than its pages load."""
    # Longest strings first, so "Sergey Lavrov" wins over "Lavrov" at the same place.
    longest_first = sorted(terms, key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in longest_first) + r")(?!\w)"
    )
