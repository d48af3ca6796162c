"""Suggestions: strings this project has already labelled, proposed where they occur
in a document. In an open project they come from anyone's spans; in a blind project
only from the annotator's own work, gold and imported annotations, since another
annotator's strings would show what they labelled."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, Q

from annotate.models import Assignment, Span

# The most used (string, label) pairs; enough for a project's vocabulary.
MAX_TERMS = 5000
MIN_TERM_CHARS = 2


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
    sources = Span.objects.filter(assignment__document__project_id=document.project_id)
    if document.project.blind:
        sources = sources.filter(
            Q(assignment__annotator_id=assignment.annotator_id)
            | Q(assignment__is_gold=True)
            | Q(assignment__annotator__is_active=False)  # imported from peer tools
        )
    terms = (
        sources.exclude(assignment=assignment)
        .values_list("text", "label_id")
        .annotate(uses=Count("id"))
        .order_by("-uses")[:MAX_TERMS]
    )
    label_of: dict[str, int] = {}
    for text, label_id, _uses in terms:
        if len(text.strip()) >= MIN_TERM_CHARS:
            label_of.setdefault(text, label_id)  # the label used most for that string
    if not label_of:
        return []
    taken = {(span.start, span.end) for span in own_spans}
    dismissed = set(
        assignment.dismissed_suggestions.values_list("start", "end", "label_id")
    )
    # Longest strings first, so "Sergey Lavrov" wins over "Lavrov" at the same place.
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(t) for t in sorted(label_of, key=len, reverse=True))
        + r")(?!\w)"
    )
    found = []
    for match in pattern.finditer(document.text):
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
