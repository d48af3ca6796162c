"""Story grouping: articles about the same event share Document.story_key, so a split
never puts one story in both train and test.

A story key given at import is kept. Every other document gets a computed key
("auto:..."): documents whose title and text are close in TF-IDF cosine (over each
document's strongest terms) and, when both are dated, published within a fortnight of
each other, are joined, and the joined groups are the stories. Candidates come from an
inverted index over each document's few strongest terms, so the work grows with the
number of documents, not its square. Pure Python: two streamed passes over the texts,
and about 200 bytes a document kept in memory.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from annotate.models import Document, Project

AUTO_PREFIX = "auto:"
SIMILARITY = 0.3  # cosine over the strongest terms; see tests/test_exports_stories.py
KEPT_TERMS = 40  # terms kept per document for the cosine
INDEXED_TERMS = 8  # of which the strongest go into the candidate index
# A term in more documents than this is too common to say "same event" and finds no
# candidates (a story bigger than this is still joined, through its rarer terms).
MAX_POSTING = 200
SAME_EVENT_WINDOW = timedelta(days=14)
TEXT_CHARS = 20_000  # the head of the article says what it is about
WORD = re.compile(r"[^\W\d_]{3,}")
STOPWORDS = frozenset(
    str.split(
        """the and for that with this from have has had was were are not but they their
    them his her its our you your who whom which what when where why how all any been
    being into about over after before also than then there here such said says will
    would could should may might can one two new more most other some only just out
    off very still because while during between against under again further per via
    him she he it we us i me my mr mrs ms"""
    )
)


def terms(text: str) -> Counter[str]:
    return Counter(
        word
        for word in (match.group().casefold() for match in WORD.finditer(text))
        if word not in STOPWORDS
    )


@dataclass(slots=True)
class Profile:
    """A document's strongest terms (ids and weights, L2-normalised) and date."""

    document_id: int
    story_key: str
    term_ids: array
    weights: array
    published_at: datetime | None


def _texts(project: Project) -> Iterator[tuple[int, str, str, datetime | None]]:
    rows = (
        Document.objects.for_project(project)
        .order_by("id")
        .values_list("id", "story_key", "published_at", "title", "text")
        .iterator(chunk_size=1000)
    )
    for pk, key, published_at, title, text in rows:
        # The title counts twice: it names the event in the fewest words.
        yield pk, key, f"{title}\n{title}\n{text[:TEXT_CHARS]}", published_at


def _profiles(project: Project) -> list[Profile]:
    frequencies: Counter[str] = Counter()
    count = 0
    for _pk, _key, text, _date in _texts(project):
        frequencies.update(terms(text).keys())
        count += 1
    vocabulary = {term: i for i, term in enumerate(frequencies)}
    idf = [math.log((count + 1) / (n + 1)) + 1 for n in frequencies.values()]
    profiles = []
    for pk, key, text, published_at in _texts(project):
        weighted = sorted(
            (
                ((1 + math.log(n)) * idf[vocabulary[term]], vocabulary[term])
                for term, n in terms(text).items()
            ),
            reverse=True,
        )[:KEPT_TERMS]
        norm = math.sqrt(sum(weight * weight for weight, _ in weighted)) or 1.0
        profiles.append(
            Profile(
                pk,
                key,
                array("i", [term for _, term in weighted]),
                array("f", [weight / norm for weight, _ in weighted]),
                published_at,
            )
        )
    return profiles


def similarity(a: Profile, b: Profile) -> float:
    mine = dict(zip(a.term_ids, a.weights, strict=True))
    return sum(
        mine.get(term, 0.0) * w for term, w in zip(b.term_ids, b.weights, strict=True)
    )


def _same_event(a: Profile, b: Profile) -> bool:
    dated = a.published_at and b.published_at
    if dated and abs(a.published_at - b.published_at) > SAME_EVENT_WINDOW:
        return False
    return similarity(a, b) >= SIMILARITY


def _stories(profiles: list[Profile]) -> list[int]:
    """Union-find over similar pairs: the index of each profile's group root."""
    parent = list(range(len(profiles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    postings: dict[int, list[int]] = defaultdict(list)
    for i, profile in enumerate(profiles):
        for term in profile.term_ids[:INDEXED_TERMS]:
            postings[term].append(i)
    for i, profile in enumerate(profiles):
        candidates = {
            j
            for term in profile.term_ids[:INDEXED_TERMS]
            if len(postings[term]) <= MAX_POSTING
            for j in postings[term]
            if j > i
        }
        for j in candidates:
            if root(i) != root(j) and _same_event(profile, profiles[j]):
                parent[root(j)] = root(i)
    return [root(i) for i in range(len(profiles))]


def story_keys(profiles: list[Profile]) -> dict[int, str]:
    """The key of every document: its imported key, or its group's. A group that holds
    documents with imported keys takes the first one's; otherwise a key made from its
    first document's id, so recomputing with nothing new gives the same keys."""
    groups: dict[int, list[Profile]] = defaultdict(list)
    for profile, group in zip(profiles, _stories(profiles), strict=True):
        groups[group].append(profile)
    keys = {}
    for members in groups.values():
        imported = [p.story_key for p in members if _is_imported(p.story_key)]
        group_key = (
            imported[0] if imported else f"{AUTO_PREFIX}{members[0].document_id}"
        )
        for profile in members:
            keys[profile.document_id] = (
                profile.story_key if _is_imported(profile.story_key) else group_key
            )
    return keys


def _is_imported(key: str) -> bool:
    return bool(key) and not key.startswith(AUTO_PREFIX)


def assign_story_keys(project: Project) -> int:
    """Compute the story key of every document of the project that has no imported one;
    returns how many documents changed."""
    keys = story_keys(_profiles(project))
    changed = 0
    ids, values = list(keys), list(keys.values())
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            cursor.execute(
                "UPDATE annotate_document d SET story_key = v.key "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) "
                "WHERE d.id = v.id AND d.story_key IS DISTINCT FROM v.key",
                [ids[start : start + 5000], values[start : start + 5000]],
            )
            changed += cursor.rowcount
    return changed
