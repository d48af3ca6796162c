"""What the recommenders learn from and how they are scored.

A document is held out when a hash of its id says so (one in HELDOUT_BUCKETS): the
choice never changes, so a held-out document is never trained on, whatever is later
accepted for it, and every run is scored on the gold of the same slice. The others teach
through their gold version, else their newest accepted one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q

from annotate.models import Assignment, Document, Label, Project, Span, Stance

HELDOUT_BUCKETS = 5  # one document in five is held out


def is_heldout(document_id: int) -> bool:
    digest = hashlib.sha256(f"newsapp-heldout:{document_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % HELDOUT_BUCKETS == 0


@dataclass
class Example:
    """One document's labelled version: spans (start, end, label name) and stances
    (target name, label name)."""

    document_id: int
    text: str
    language: str = ""
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    stances: list[tuple[str, str]] = field(default_factory=list)


def labelled_versions(project: Project) -> Assignment:
    """The versions a recommender may learn from: gold, and accepted submissions."""
    return Assignment.objects.for_project(project).filter(
        Q(is_gold=True)
        | Q(
            status=Assignment.Status.SUBMITTED,
            review_state=Assignment.ReviewState.ACCEPTED,
        )
    )


def labelled_count(project: Project) -> int:
    """Documents with a gold or an accepted version (what retraining counts)."""
    return labelled_versions(project).values("document").distinct().count()


def _one_version_each(assignments) -> dict[int, int]:
    """document id -> assignment id: gold first, else the newest accepted version."""
    chosen: dict[int, int] = {}
    rows = assignments.order_by("document_id", "-is_gold", "-reviewed_at", "-pk")
    for pk, document_id in rows.values_list("pk", "document_id"):
        chosen.setdefault(document_id, pk)
    return chosen


def _examples(chosen: dict[int, int]) -> list[Example]:
    by_assignment = {pk: doc for doc, pk in chosen.items()}
    documents = Document.objects.filter(pk__in=chosen).values_list(
        "pk", "text", "language"
    )
    examples = {
        pk: Example(document_id=pk, text=text, language=language)
        for pk, text, language in documents.iterator(chunk_size=500)
    }
    spans = Span.objects.filter(assignment__in=by_assignment).values_list(
        "assignment_id", "start", "end", "label__name"
    )
    for assignment, start, end, label in spans.iterator(chunk_size=2000):
        examples[by_assignment[assignment]].spans.append((start, end, label))
    stances = Stance.objects.filter(assignment__in=by_assignment).values_list(
        "assignment_id", "target__name", "label__name"
    )
    for assignment, target, label in stances.iterator(chunk_size=2000):
        examples[by_assignment[assignment]].stances.append((target, label))
    return [examples[pk] for pk in sorted(examples)]


def training_examples(project: Project) -> list[Example]:
    """Gold, else the newest accepted version, of every document not held out."""
    chosen = _one_version_each(labelled_versions(project))
    return _examples({d: a for d, a in chosen.items() if not is_heldout(d)})


def heldout_examples(project: Project) -> list[Example]:
    """The gold versions of the held-out documents: what every run is scored on."""
    gold = Assignment.objects.for_project(project).gold()
    chosen = _one_version_each(gold)
    return _examples({d: a for d, a in chosen.items() if is_heldout(d)})


def unlabelled_documents(project: Project, *, chunk: int) -> Iterator[list[tuple]]:
    """(id, text) of the documents with neither gold nor an accepted version, in
    chunks of `chunk`, by id."""
    labelled = labelled_versions(project).values("document")
    documents = (
        Document.objects.for_project(project)
        .exclude(pk__in=labelled)
        .order_by("pk")
        .values_list("pk", "text")
    )
    after = 0
    while True:
        rows = list(documents.filter(pk__gt=after)[:chunk])
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def project_language(project: Project, examples: Iterable[Example]) -> str:
    """The language most of the examples are in ("" when none says)."""
    counts = Counter(e.language.split("-")[0].lower() for e in examples if e.language)
    return counts.most_common(1)[0][0] if counts else ""


def active_label_names(project: Project, kind: str) -> list[str]:
    return list(
        Label.objects.filter(project=project, kind=kind, retired=False)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )


def scores(gold: Iterable[tuple], predicted: Iterable[tuple]) -> dict:
    """Precision, recall and F1 per label of (item..., label) tuples matched exactly,
    with the micro figures and the macro F1 over the labels seen."""
    gold, predicted = set(gold), set(predicted)
    labels = sorted({item[-1] for item in gold | predicted})
    per_label = {}
    for label in labels:
        g = {item for item in gold if item[-1] == label}
        p = {item for item in predicted if item[-1] == label}
        per_label[label] = _prf(len(g & p), len(p), len(g))
    micro = _prf(len(gold & predicted), len(predicted), len(gold))
    supported = [v["f1"] for v in per_label.values() if v["support"]]
    return {
        "labels": per_label,
        "micro": micro,
        "micro_f1": micro["f1"],
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
    }


def _prf(correct: int, predicted: int, gold: int) -> dict:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": gold,
    }
