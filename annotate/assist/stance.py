"""The stance recommender: a scikit-learn logistic regression over the text and the
target, one per project. Features: the text's and the target's TF-IDF words, the words
they share, and how similar they are (what tells an unrelated target from a discussed
one)."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from annotate.assist.training import Example

FILE = "stance.pkl"


class StanceModel:
    """Predicts a stance label from (text, target)."""

    def __init__(self, *, max_iter: int = 1000):
        self.vectorizer = TfidfVectorizer(
            sublinear_tf=True, min_df=1, max_features=50000, ngram_range=(1, 2)
        )
        self.classifier = LogisticRegression(
            max_iter=max_iter, class_weight="balanced", C=4.0
        )

    def features(self, texts: Sequence[str], targets: Sequence[str]):
        text = self.vectorizer.transform(texts)
        target = self.vectorizer.transform(targets)
        shared = text.multiply(target)
        similarity = sparse.csr_matrix(np.asarray(shared.sum(axis=1)))
        return sparse.hstack([text, target, shared, similarity * 10]).tocsr()

    def fit(self, texts: Sequence[str], targets: Sequence[str], labels: Sequence[str]):
        self.vectorizer.fit(list(dict.fromkeys(texts)) + list(dict.fromkeys(targets)))
        self.classifier.fit(self.features(texts, targets), labels)
        return self

    def probabilities(
        self, texts: Sequence[str], targets: Sequence[str]
    ) -> list[dict[str, float]]:
        if not texts:
            return []
        rows = self.classifier.predict_proba(self.features(texts, targets))
        classes = list(self.classifier.classes_)
        return [
            {label: round(float(p), 4) for label, p in zip(classes, row, strict=True)}
            for row in rows
        ]

    def save(self, folder: Path) -> None:
        with (folder / FILE).open("wb") as out:
            pickle.dump(self, out)


def load(folder: Path) -> StanceModel:
    """A model this installation saved (the file is ours, under var/models/)."""
    with (folder / FILE).open("rb") as file:
        return pickle.load(file)  # noqa: S301 — written by save() above, never uploaded


def pairs(examples: Sequence[Example]) -> tuple[list[str], list[str], list[str]]:
    """(texts, targets, labels) of every stance in the examples."""
    texts, targets, labels = [], [], []
    for example in examples:
        for target, label in example.stances:
            texts.append(example.text)
            targets.append(target)
            labels.append(label)
    return texts, targets, labels


def train(
    examples: Sequence[Example], *, on_step: Callable[[int], None] = lambda s: None
) -> StanceModel:
    """A model fitted on every stance of the examples; ValueError when they give
    fewer than two stance labels (nothing to tell apart)."""
    texts, targets, labels = pairs(examples)
    if len(set(labels)) < 2:
        raise ValueError(
            "the stance recommender needs accepted or gold stances with at least two "
            f"different labels; the training documents have {len(set(labels))}"
        )
    on_step(0)
    return StanceModel().fit(texts, targets, labels)


VERSION = f"scikit-learn {sklearn.__version__}"
