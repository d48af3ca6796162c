"""Suggestions: strings this project has already labelled (by anyone, in any document,
imported annotations included), proposed where they occur in a document.

A suggestion carries a string and a label, never who labelled it. In a blind project
nothing suggested may depend on anyone's version of the document on screen: the terms
and their labels come from the spans of the project's *other* documents (anyone's,
gold, imported) and from this document's imported pre-annotations, never from a
person's version of it, the annotator's own included (as elsewhere, their own spans
are no reason to suggest a string). That vocabulary is read in one statement for the
document (the project's counts less the document's own spans), so a peer's change
here can never show through a stale count.

The strings are found by an Aho–Corasick automaton (annotate.labelling.matcher) built
once per vocabulary version and kept in the process; the occurrences in a document are
kept beside it. A request only filters them: what the annotator labelled (a string
they labelled counts once less, as before) and dismissed, and retired labels, are
applied after matching and never change the automaton."""

from __future__ import annotations

import itertools
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from django.core.cache import cache

from annotate.labelling.matcher import MIN_TERM_CHARS, Matcher, matcher_for
from annotate.models import Assignment, TermUse

# The most used (string, label) pairs; enough for a project's vocabulary.
MAX_TERMS = 5000
VOCABULARY_SECONDS = 60
# Vocabularies kept in a process (a blind project has one per document).
KEPT_VOCABULARIES = 256

__all__ = ["MIN_TERM_CHARS", "Suggestion", "Vocabulary", "suggestions_for"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: int
    end: int
    label_id: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.start}-{self.end}-{self.label_id}"


@dataclass(eq=False)
class Vocabulary:
    """One version of a vocabulary: the (string, label) pairs with their use counts,
    most used first, and the automaton of its strings. Immutable once made; what is
    derived from it (the label of each string, per set of retired labels) is kept."""

    uses: dict[tuple[str, int], int]
    project_id: int
    matcher: Matcher = field(init=False)
    # string -> [(label, uses), ...] in the order of `uses`
    pairs: dict[str, list[tuple[int, int]]] = field(init=False)
    _labels: dict[frozenset[int], dict[str, int]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.pairs = {}
        for (text, label_id), count in self.uses.items():
            if len(text.strip()) >= MIN_TERM_CHARS:
                self.pairs.setdefault(text, []).append((label_id, count))
        self.matcher = matcher_for(self.project_id, frozenset(self.pairs))

    def labels(self, retired: frozenset[int]) -> dict[str, int]:
        """Each string's most used label that is not retired (ties: the first counted)."""
        found = self._labels.get(retired)
        if found is None:
            found = {}
            for text, pairs in self.pairs.items():
                label_id = _most_used(pairs, retired, Counter(), text)
                if label_id is not None:
                    found[text] = label_id
            self._labels[retired] = found
        return found

    def suggestions(
        self,
        text: str,
        *,
        document_key: object,
        retired: frozenset[int],
        own: list[tuple[str, int, int, int]],
        dismissed: set[tuple[int, int, int]],
        subtract_own: bool,
        within: tuple[int, int] | None = None,
    ) -> list[Suggestion]:
        """The strings found in `text`, leftmost first and the longest at one place,
        without overlaps; `own` are the annotator's spans as (text, label, start, end):
        where they are nothing is suggested and, with `subtract_own`, each counts one
        use less of its string. With `within` (start, end), only those overlapping
        text[start:end] (the part of a long text on screen): the ones before it are
        walked only for the overlaps they rule out."""
        low, high = within or (0, len(text))
        labels = self.labels(retired)
        changed: dict[str, int | None] = {}
        if subtract_own:
            own_uses = Counter((span[0], span[1]) for span in own)
            for term in {term for term, _ in own_uses if term in self.pairs}:
                changed[term] = _most_used(self.pairs[term], retired, own_uses, term)
        taken = {(span[2], span[3]) for span in own}
        found, free_from = [], 0
        for start, end, term in self.matcher.occurrences(text, document_key):
            if start >= high:
                break
            if start < free_from:
                continue
            label_id = changed[term] if term in changed else labels.get(term)
            if label_id is None:
                continue  # not a suggestion for this annotator: a shorter one may be
            free_from = end
            if end <= low:
                continue
            if (start, end) not in taken and (start, end, label_id) not in dismissed:
                found.append(Suggestion(start, end, label_id, term))
        return found


def _most_used(
    pairs: list[tuple[int, int]], retired: frozenset[int], less: Counter, text: str
) -> int | None:
    best, best_uses = None, 0
    for label_id, count in pairs:
        uses = count - less[(text, label_id)]
        if uses > best_uses and label_id not in retired:
            best, best_uses = label_id, uses
    return best


def suggestions_for(
    assignment: Assignment, own_spans: list, within: tuple[int, int] | None = None
) -> list[Suggestion]:
    """Where known strings occur in the document and the annotator has no span yet
    (overlapping text[start:end] only, given `within`). `own_spans` have text,
    label_id, start and end (Span rows or the screen's), anywhere in the text."""
    document = assignment.document
    project = document.project
    if project.blind:
        vocabulary = _vocabulary(project.pk, document.pk)
    else:
        vocabulary = _vocabulary(project.pk, None)
    if not vocabulary.pairs:
        return []
    # Retired labels are not proposed again (label_list: loaded once per request).
    retired = frozenset(label.pk for label in project.label_list if label.retired)
    dismissed = set(
        assignment.dismissed_suggestions.values_list("start", "end", "label_id")
    )
    return vocabulary.suggestions(
        document.text,
        document_key=document.pk,
        retired=retired,
        own=[(span.text, span.label_id, span.start, span.end) for span in own_spans],
        dismissed=dismissed,
        subtract_own=not project.blind,
        within=within,
    )


# The versions: the cache (shared by the process's threads, emptied by cache.clear())
# holds each vocabulary's version number for VOCABULARY_SECONDS; the process keeps the
# vocabulary of each number. A string labelled elsewhere is suggested a minute later
# at most, and the automaton is rebuilt only when the strings themselves changed.
_kept: OrderedDict[int, Vocabulary] = OrderedDict()
_numbers = itertools.count(1)
_lock = threading.Lock()


def _vocabulary(project_id: int, document_id: int | None) -> Vocabulary:
    if document_id is None:
        key = f"suggestions:vocabulary:{project_id}"
    else:
        key = f"suggestions:blind-vocabulary:{project_id}:{document_id}"
    number = cache.get(key)
    vocabulary = _kept.get(number) if number is not None else None
    if vocabulary is None:
        vocabulary = Vocabulary(_count_uses(project_id, document_id), project_id)
        number = next(_numbers)
        with _lock:
            _kept[number] = vocabulary
            while len(_kept) > KEPT_VOCABULARIES:
                _kept.popitem(last=False)
        cache.set(key, number, VOCABULARY_SECONDS)
    return vocabulary


def _count_uses(project_id: int, document_id: int | None) -> dict[tuple[str, int], int]:
    """The project's most used (string, label) pairs and their use counts (TermUse,
    kept by the database). In a blind project, as seen from one document: people's
    versions of that document do not count (its imported pre-annotations do)."""
    if document_id is None:
        rows = TermUse.objects.most_used(project_id, MAX_TERMS)
    else:
        rows = TermUse.objects.most_used_beside(project_id, document_id, MAX_TERMS)
    return {(text, label_id): count for text, label_id, count in rows}
