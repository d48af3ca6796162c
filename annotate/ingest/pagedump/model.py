"""A learned second opinion on every block: gradient-boosted trees over structural
features of the block and its neighbourhood, trained on human-checked article bodies
(bench/train_cleaner.py writes model.json). Their run of likely article blocks finds
what one run of prose at one indent misses in long articles broken up by lists,
subheadings, tables and embeds. The features are the heuristic's own marks (prose,
repeated, caption, ...), measures of the wording, and how much of the page's prose
vocabulary a block shares; no site, page or word of the training pages is in them.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from annotate.ingest.captions import PHOTO_CREDIT
from annotate.ingest.pagedump.blocks import IDEOGRAPHIC, Block, wording
from annotate.ingest.pagedump.extent import (
    ALT_TEXT_LINE,
    INSERT_HEADING,
    is_insert,
    prose_by_indent,
)
from annotate.ingest.pagedump.shapes import (
    CONSENT,
    SENTENCE_END,
    SHORT_SENTENCE_END,
    URL,
    is_stamp,
)

MODEL_FILE = Path(__file__).with_name("model.json")
WORD = re.compile(r"\w+")
# The neighbours whose measures each block also sees, by offset.
NEIGHBOURS = {"previous": -1, "next": 1, "second_previous": -2, "second_next": 2}
NEIGHBOUR_FEATURES = ("size", "prose", "bullet", "stop_density", "ends_sentence")
NEIGHBOUR_FEATURES += ("repeated", "same_indent", "topic")
# Blocks at least this likely make the model's runs (0.5 to 0.7 measured within 0.003
# of each other in the cleaner's F1).
RUN_THRESHOLD = 0.6
# A run of likely blocks apart from the best one is kept when it sums to this share
# of the best.
SIDE_RUN_SHARE = 0.15
SIDE_RUN_REACH = 30
# Prose density is measured in windows of this many blocks on either side.
WINDOWS = (1, 3, 10, 30)


def block_measures(block: Block, stoplist: frozenset[str]) -> dict[str, float]:
    """What a block is, on its own."""
    text = block.text
    letters = [char for char in text if char.isalpha()]
    words = WORD.findall(text)
    size, word_count, stop_density = wording(text, stoplist)
    return {
        "size": math.log1p(size),
        "words": math.log1p(word_count),
        "stop_density": stop_density,
        "ends_sentence": bool(SENTENCE_END.search(text)),
        "ends_short_sentence": bool(SHORT_SENTENCE_END.search(text)),
        "ends_colon": text.endswith(":"),
        "prose": block.prose,
        "sentence": block.sentence,
        "bullet": block.bullet,
        "numbered": block.number is not None,
        "counted": block.counted,
        "repeated": block.repeated,
        "echo": block.echo,
        "caption": block.caption,
        "in_list": block.in_list,
        "url": bool(URL.search(text)),
        "insert": is_insert(block),
        "insert_heading": bool(INSERT_HEADING.match(text)),
        "consent": bool(CONSENT.search(text)),
        "stamp": is_stamp(block),
        "alt_text": bool(ALT_TEXT_LINE.match(text)),
        "photo_credit": bool(PHOTO_CREDIT.match(text)),
        "upper_share": sum(c.isupper() for c in letters) / len(letters)
        if letters
        else 0,
        "digit_share": sum(c.isdigit() for c in text) / len(text) if text else 0,
        "commas_per_word": sum(c in ",;" for c in text) / max(1, len(words)),
        "capitalised_share": (
            sum(w[0].isupper() for w in words) / len(words) if words else 0
        ),
        "word_length": sum(map(len, words)) / len(words) if words else 0,
        "separators": text.count("|") + text.count("•"),
        "heuristic_score": math.copysign(math.log1p(abs(block.score)), block.score),
    }


def content_words(text: str, stoplist: frozenset[str]) -> set[str]:
    return {
        word
        for word in WORD.findall(text.lower())
        if word not in stoplist
        and not word.isdigit()
        and (len(word) >= 3 or IDEOGRAPHIC.search(word))
    }


def topic_measures(
    blocks: list[Block], stoplist: frozenset[str]
) -> list[tuple[float, float]]:
    """How much of each block's vocabulary the page's other prose shares: an article's
    paragraphs share names and subject words; menus, footers and teasers of other
    stories do not. (Mean log count of other prose blocks holding each word, and the
    share of its words found in any.)"""
    vocabularies = [content_words(block.text, stoplist) for block in blocks]
    holders: Counter[str] = Counter()
    for block, vocabulary in zip(blocks, vocabularies, strict=True):
        if block.prose:
            holders.update(vocabulary)
    measures = []
    for block, vocabulary in zip(blocks, vocabularies, strict=True):
        if not vocabulary:
            measures.append((0.0, 0.0))
            continue
        others = [holders[word] - block.prose for word in vocabulary]
        measures.append(
            (
                sum(map(math.log1p, others)) / len(others),
                sum(count > 0 for count in others) / len(others),
            )
        )
    return measures


def block_features(
    blocks: list[Block], stoplist: frozenset[str], *, unwrapped: bool
) -> tuple[list[str], np.ndarray]:
    """Feature names and one row per block: the block, its place on the page, the
    density of prose around it and its four nearest neighbours."""
    own = [block_measures(block, stoplist) for block in blocks]
    for measures, (topic, topic_share) in zip(
        own, topic_measures(blocks, stoplist), strict=True
    ):
        measures["topic"], measures["topic_share"] = topic, topic_share
    count = len(blocks)
    lengths = np.array([len(block.text) for block in blocks], dtype=float)
    prose = np.array([len(block.text) if block.prose else 0 for block in blocks], float)
    all_before = np.concatenate([[0.0], np.cumsum(lengths)])
    prose_before = np.concatenate([[0.0], np.cumsum(prose)])
    index = np.arange(count)
    most_prose = prose_by_indent(blocks).most_common(1)
    main_indent = most_prose[0][0] if most_prose else 0
    columns: dict[str, np.ndarray] = {
        name: np.array([measures[name] for measures in own], dtype=float)
        for name in own[0]
    }
    columns["position"] = index / count
    columns["chars_before"] = all_before[:-1] / max(1.0, all_before[-1])
    columns["prose_before"] = prose_before[:-1] / max(1.0, prose_before[-1])
    columns["unwrapped"] = np.full(count, float(unwrapped))
    for window in WINDOWS:
        low = np.clip(index - window, 0, count)
        high = np.clip(index + window + 1, 0, count)
        columns[f"prose_share_{window}"] = (prose_before[high] - prose_before[low]) / (
            np.maximum(1.0, all_before[high] - all_before[low])
        )
    columns["share_of_longest_prose"] = lengths / max(1.0, prose.max())
    columns["page_blocks"] = np.full(count, math.log1p(count))
    columns["page_prose_share"] = np.full(
        count, sum(block.prose for block in blocks) / count
    )
    columns["main_indent"] = np.array(
        [block.indent == main_indent for block in blocks], dtype=float
    )
    indents = np.array([block.indent for block in blocks])
    for name, offset in NEIGHBOURS.items():
        other = index + offset
        inside = (other >= 0) & (other < count)
        safe = np.clip(other, 0, count - 1)
        for feature in NEIGHBOUR_FEATURES:
            if feature == "same_indent":
                values = (indents[safe] == indents).astype(float)
            else:
                values = columns[feature][safe]
            missing = -1.0 if feature in ("size", "stop_density", "topic") else 0.0
            columns[f"{name}_{feature}"] = np.where(inside, values, missing)
    names = list(columns)
    return names, np.column_stack([columns[name] for name in names])


@dataclass(frozen=True)
class TreeEnsemble:
    """Binary gradient-boosted trees, all in flat arrays: node i tests
    features[i] <= thresholds[i] and goes to left[i] or right[i]; a leaf (feature -1)
    holds its value. The probability is the logistic of the baseline plus one leaf
    value per tree."""

    feature_names: tuple[str, ...]
    baseline: float
    roots: np.ndarray
    features: np.ndarray
    thresholds: np.ndarray
    left: np.ndarray
    right: np.ndarray
    values: np.ndarray
    depth: int

    @classmethod
    def from_dict(cls, data: dict) -> TreeEnsemble:
        roots, features, thresholds, left, right, values = [], [], [], [], [], []
        for tree in data["trees"]:
            offset = len(features)
            roots.append(offset)
            features += tree["feature"]
            thresholds += tree["threshold"]
            left += [offset + child for child in tree["left"]]
            right += [offset + child for child in tree["right"]]
            values += tree["value"]
        return cls(
            feature_names=tuple(data["features"]),
            baseline=data["baseline"],
            roots=np.array(roots),
            features=np.array(features),
            thresholds=np.array(thresholds, dtype=float),
            left=np.array(left),
            right=np.array(right),
            values=np.array(values, dtype=float),
            depth=data["depth"],
        )

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        # Every block walks every tree at once, one level a step.
        nodes = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()
        block = np.arange(len(rows))[:, None]
        for _ in range(self.depth):
            feature = self.features[nodes]
            leaf = feature < 0
            goes_left = (
                rows[block, np.where(leaf, 0, feature)] <= self.thresholds[nodes]
            )
            nodes = np.where(
                leaf, nodes, np.where(goes_left, self.left[nodes], self.right[nodes])
            )
        raw = self.baseline + self.values[nodes].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


@cache
def trained_model() -> TreeEnsemble | None:
    """The model bench/train_cleaner.py wrote, or None where there is none yet."""
    if not MODEL_FILE.exists():
        return None
    return TreeEnsemble.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))


def block_likelihoods(
    blocks: list[Block], stoplist: frozenset[str], *, unwrapped: bool
) -> np.ndarray | None:
    """Each block's probability of being article text, or None where there is no model."""
    model = trained_model()
    if model is None or not blocks:
        return None
    names, rows = block_features(blocks, stoplist, unwrapped=unwrapped)
    if tuple(names) != model.feature_names:
        raise RuntimeError(
            f"{MODEL_FILE.name} was trained on other features: run bench/train_cleaner.py"
        )
    return model.probabilities(rows)


def block_words(blocks: list[Block]) -> np.ndarray:
    return np.array([max(1, len(block.text.split())) for block in blocks])


def best_run(gains: np.ndarray, low: int, high: int) -> tuple[float, int, int]:
    """Kadane: the maximum-sum run of gains[low:high] as (sum, first, last)."""
    best, first, last, running, start = 0.0, -1, -1, 0.0, low
    for index in range(low, high):
        if running <= 0:
            running, start = 0.0, index
        running += gains[index]
        if running > best:
            best, first, last = running, start, index
    return best, first, last


def learned_extent(likely: np.ndarray, words: np.ndarray) -> list[int]:
    """The maximum-sum run of (probability - RUN_THRESHOLD) x words, and the runs beside
    it worth a share of it (an article's lead cut off by a gallery), less the blocks in
    them the model thinks unlikely (below half the threshold)."""
    gains = (likely - RUN_THRESHOLD) * words
    best, first, last = best_run(gains, 0, len(gains))
    if first < 0:
        return []
    # Beside the best run, within reach of it: a lead cut off by a gallery, not the
    # site's legal notes far below.
    runs = [(first, last)]
    sides = [
        (max(0, first - SIDE_RUN_REACH), first),
        (last + 1, min(len(gains), last + 1 + SIDE_RUN_REACH)),
    ]
    while sides:
        low, high = sides.pop()
        score, start, end = best_run(gains, low, high)
        if start >= 0 and score >= SIDE_RUN_SHARE * best:
            runs.append((start, end))
            sides += [
                (max(low, start - SIDE_RUN_REACH), start),
                (end + 1, min(high, end + 1 + SIDE_RUN_REACH)),
            ]
    return sorted(
        i
        for start, end in runs
        for i in range(start, end + 1)
        if likely[i] > RUN_THRESHOLD / 2
    )
