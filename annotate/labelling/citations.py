"""Which sources an article credits or quotes: 'Source: X', 'according to X',
'X reported', 'told X', 'X said'. Pure text in, (name, start, end) out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A name: one to five capitalised words, allowing connectors (al-, of, de) and initials.
NAME = r"(?P<name>(?:[A-Z][\w'’-]*|al-[A-Z][\w'’-]*)(?: +(?:(?:of|de|al|bin|the|for) +)?(?:[A-Z][\w'’-]*|al-[A-Z][\w'’-]*)){0,4})"
PATTERNS = [
    re.compile(rf"\b(?:Source|Sources)\s*:\s*{NAME}"),
    re.compile(rf"\baccording to (?:the\s+)?{NAME}"),
    re.compile(rf"\btold (?:the\s+)?{NAME}"),
    re.compile(
        rf"\b(?:the\s+)?{NAME},?\s+(?:reported|said|says|reports|wrote|announced)\b"
    ),
    re.compile(
        rf"[“\"]{NAME}[”\"],?\s+(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+){{0,6}}?\s+(?:newspaper|agency|daily|channel|outlet)"
    ),
    re.compile(rf"\bcomments\s+[“\"]{NAME}[”\"]"),
]
NOT_SOURCES = {
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "The",
    "This",
    "That",
    "But",
    "And",
    "However",
    "On",
    "In",
}


@dataclass(frozen=True, slots=True)
class Citation:
    name: str
    start: int
    end: int


# The source panel is drawn on every page and every rating: the same few texts, whose
# scan costs milliseconds when they are long. Keyed by the text itself, so few are kept.
@lru_cache(maxsize=64)
def cited_sources(text: str) -> tuple[Citation, ...]:
    """Each distinct source named in the text, at its first mention."""
    found: dict[str, Citation] = {}
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            name = match.group("name").strip(" .,'’")
            if not name or name in NOT_SOURCES or name.split()[0] in NOT_SOURCES:
                continue
            start = match.start("name")
            citation = Citation(name, start, start + len(name))
            current = found.get(name.casefold())
            if current is None or citation.start < current.start:
                found[name.casefold()] = citation
    return tuple(sorted(found.values(), key=lambda citation: citation.start))
