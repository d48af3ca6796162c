"""Seeded, news-like synthetic articles for the benchmarks (about 3 KB each)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

PEOPLE = [
    "Sergey Lavrov",
    "Assimi Goita",
    "Ousmane Sonko",
    "Emmanuel Macron",
    "Denis Sassou Nguesso",
    "Dmitry Kurakov",
]
PLACES = [
    "Bamako",
    "Conakry",
    "Niamey",
    "Ouagadougou",
    "Dakar",
    "Moscow",
    "Paris",
    "Oyo",
    "Nouakchott",
]
OUTLETS = [
    "Politico",
    "Sputnik",
    "AFP",
    "Reuters",
    "Asharq Al-Awsat",
    "Al Mayadeen English",
    "AP",
]
VERBS = [
    "met",
    "criticised",
    "welcomed",
    "visited",
    "warned",
    "praised",
    "questioned",
    "announced",
]
NOUNS = [
    "security cooperation",
    "military presence",
    "uranium assets",
    "a solar power plant",
    "sovereignty",
    "the transitional government",
    "port construction",
    "mining contracts",
    "troop withdrawal",
]
FILLER = [
    "officials",
    "said",
    "the",
    "talks",
    "would",
    "continue",
    "next",
    "week",
    "while",
    "observers",
    "noted",
    "that",
    "regional",
    "alliances",
    "were",
    "shifting",
    "quickly",
    "as",
    "governments",
    "weighed",
    "economic",
    "and",
    "security",
    "interests",
]


def sentence(rng: random.Random) -> str:
    subject, place = rng.choice(PEOPLE), rng.choice(PLACES)
    tail = " ".join(rng.sample(FILLER, rng.randint(6, 14)))
    outlet = rng.choice(OUTLETS)
    return f"{subject} {rng.choice(VERBS)} {rng.choice(NOUNS)} in {place}, {outlet} reported, and {tail}."


def article(rng: random.Random, number: int, size: int = 3000) -> dict:
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 500_000)
    )
    return {
        "id": f"bench-{number}",
        "title": f"{rng.choice(PEOPLE)} {rng.choice(VERBS)} {rng.choice(NOUNS)} ({number})",
        "text": "\n\n".join(paragraphs),
        "url": f"https://news.example/{number}",
        "publisher": rng.choice(OUTLETS),
        "byline": rng.choice(PEOPLE),
        "published_at": published.isoformat(),
        "language": "en",
        "tags": rng.sample(PLACES, 3),
    }


def articles(count: int, seed: int = 1) -> Iterator[dict]:
    rng = random.Random(seed)
    for number in range(count):
        yield article(rng, number)


def write_jsonl(path: Path, count: int, seed: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for item in articles(count, seed):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path
