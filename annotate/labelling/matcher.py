"""The matcher of suggestions: an Aho–Corasick automaton (pyahocorasick) of a
vocabulary's strings, and the places where they occur in a document.

An automaton is built once for a set of strings and kept in the process: a vocabulary
whose strings are all in the current one (the same vocabulary a minute later, or a
blind project's vocabulary of one document) reuses it, since what is found is filtered
by label afterwards. The occurrences of every string in a document, at word
boundaries, are kept beside the automaton for the last documents asked about, so a
change to a span finds them ready."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import ahocorasick

# Strings shorter than this (once stripped) are never suggested.
MIN_TERM_CHARS = 2
# The documents whose occurrences an automaton keeps.
KEPT_DOCUMENTS = 128
# An automaton with this many strings more than the vocabulary asked for is rebuilt.
SPARE_TERMS = 1000

_WORD = re.compile(r"\w")

Occurrence = tuple[int, int, str]  # start, end, the string


class Matcher:
    """Finds a set of strings in texts, each where it starts and ends a word."""

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self._automaton = ahocorasick.Automaton()
        for term in terms:
            self._automaton.add_word(term, (len(term), term))
        if terms:
            self._automaton.make_automaton()
        self._documents: OrderedDict[object, tuple[Occurrence, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, text: str) -> tuple[Occurrence, ...]:
        """Every occurrence of every string (overlapping ones too) that starts and
        ends at a word boundary, by where it starts and then longest first."""
        if not self.terms:
            return ()
        found = []
        word, end_of_text = _WORD.match, len(text)
        for last, (length, term) in self._automaton.iter(text):
            start, end = last - length + 1, last + 1
            if start and word(text, start - 1):
                continue
            if end < end_of_text and word(text, end):
                continue
            found.append((start, end, term))
        found.sort(key=lambda item: (item[0], -item[1]))
        return tuple(found)

    def occurrences(self, text: str, document_key: object) -> tuple[Occurrence, ...]:
        """find(text), kept for the document (the key also holds the text's length
        and hash, so a changed text is searched afresh)."""
        key = (document_key, len(text), hash(text))
        found = self._documents.get(key)
        if found is None:
            found = self.find(text)
            with self._lock:
                self._documents[key] = found
                while len(self._documents) > KEPT_DOCUMENTS:
                    self._documents.popitem(last=False)
        return found


_current: dict[object, Matcher] = {}
_building = threading.Lock()


def matcher_for(owner: object, terms: frozenset[str]) -> Matcher:
    """An automaton that finds at least `terms`: the owner's (a project's) current one
    when it does and is not much larger, otherwise a new one, which becomes current."""
    current = _current.get(owner)
    if current is not None and _fits(current, terms):
        return current
    with _building:
        current = _current.get(owner)
        if current is None or not _fits(current, terms):
            current = _current[owner] = Matcher(terms)
    return current


def _fits(matcher: Matcher, terms: frozenset[str]) -> bool:
    return len(matcher.terms) <= len(terms) + SPARE_TERMS and terms <= matcher.terms
