"""The recommenders on real labelled news they were not trained on: `make bench-models`.

    python bench/models.py [--conll-train PATH] [--sizes 25,50,100,200] [--epochs 20]

Entities: spaCy NER trained from a blank English pipeline (annotate.assist.entities, as
a project's run trains it) on 25, 50, 100, 200 … CoNLL++ training documents, scored
(exact span F1) on the CoNLL++ test subset in ../shared/data (28 documents, never trained
on), beside the dictionary suggestions (the strings labelled in the same training
documents, matched at word boundaries, longest first) on the same documents. Without
--conll-train (conllpp_train.txt of ZihanWangKi/CrossWeigh, research use only, kept out
of the repository under var/bench/) the subset's own sentences are split instead.

Effort: a simulated annotator reaches each held-out document's gold with the fewest
actions: accept a correct suggestion 1, relabel a suggestion with the right offsets 1,
delete a wrong one 1, make a missing span 2.

Stance: annotate.assist.stance on FNC-1 (../shared/data/fnc1-stance: 300 bodies, the
headlines as targets) trained on 25, 50, 100, 200 bodies, scored (macro F1 over the four
classes) on the bodies the app's held-out hash picks (never trained on).

Cost: training seconds per run, prediction milliseconds per document.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
DATA = Path(os.environ.get("NEWSAPP_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_TRAIN = ROOT / "var" / "bench" / "conllpp_train.txt"

import django  # noqa: E402

django.setup()

from annotate.assist import entities, stance  # noqa: E402
from annotate.assist.training import Example, is_heldout, scores  # noqa: E402

LABELS = ["PER", "ORG", "LOC", "MISC"]


def conll_documents(path: Path) -> list[Example]:
    """CoNLL (TOKEN POS CHUNK NER, IOB2) documents: sentences joined by newlines, tokens
    by spaces, entity spans as code-point offsets."""
    documents, sentences, tokens = [], [], []

    def end_sentence():
        if tokens:
            sentences.append(list(tokens))
            tokens.clear()

    def end_document():
        end_sentence()
        if sentences:
            documents.append(_example(len(documents), sentences))
            sentences.clear()

    for line in path.read_text().splitlines():
        if line.startswith("-DOCSTART-"):
            end_document()
        elif not line.strip():
            end_sentence()
        else:
            parts = line.split()
            tokens.append((parts[0], parts[-1]))
    end_document()
    return documents


def _example(number: int, sentences: list[list[tuple[str, str]]]) -> Example:
    text, spans, open_span = "", [], None
    for s, sentence in enumerate(sentences):
        if s:
            text += "\n"
        for t, (token, tag) in enumerate(sentence):
            if t:
                text += " "
            start = len(text)
            text += token
            if tag.startswith("B-") or (tag.startswith("I-") and open_span is None):
                if open_span:
                    spans.append(tuple(open_span))
                open_span = [start, len(text), tag[2:]]
            elif tag.startswith("I-"):
                open_span[1] = len(text)
            elif open_span:
                spans.append(tuple(open_span))
                open_span = None
        if open_span:
            spans.append(tuple(open_span))
            open_span = None
    return Example(document_id=number, text=text, language="en", spans=spans)


def test_subset() -> list[Example]:
    """The shared CoNLL++ test subset (28 documents), from derived_spans.jsonl."""
    by_doc = defaultdict(list)
    with (DATA / "conll2003-ner" / "derived_spans.jsonl").open() as lines:
        for line in lines:
            record = json.loads(line)
            by_doc[record["doc"]].append(record)
    examples = []
    for doc, sentences in sorted(by_doc.items()):
        text, spans = "", []
        for s, record in enumerate(sentences):
            if s:
                text += "\n"
            offset = len(text)
            text += record["text"]
            spans += [
                (offset + e["start"], offset + e["end"], e["label"])
                for e in record["entities"]
            ]
        examples.append(Example(doc, text, "en", spans))
    return examples


# The dictionary rule of the annotation screen's suggestions: strings labelled before.


def dictionary(training: list[Example]) -> dict[str, str]:
    votes: dict[str, Counter] = defaultdict(Counter)
    for example in training:
        for start, end, label in example.spans:
            votes[example.text[start:end]][label] += 1
    return {text: counts.most_common(1)[0][0] for text, counts in votes.items()}


def dictionary_spans(words: dict[str, str], text: str) -> list[tuple[int, int, str]]:
    if not words:
        return []
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        + r")(?!\w)"
    )
    return [(m.start(), m.end(), words[m.group()]) for m in pattern.finditer(text)]


def actions(gold: set, suggested: set) -> int:
    """Fewest actions from the suggestions to the gold spans."""
    cost = 0
    by_offsets = {(s, e): label for s, e, label in gold}
    for start, end, label in suggested:
        if (start, end, label) in gold:
            cost += 1  # accept
        elif (start, end) in by_offsets:
            cost += 1  # relabel (then it is the gold span)
        else:
            cost += 1  # delete
    reached = {(s, e) for s, e, _ in suggested} & set(by_offsets)
    cost += 2 * (len(gold) - len(reached))  # make the missing spans
    return cost


def entity_rows(training: list[Example], heldout: list[Example], sizes, epochs):
    rows = []
    gold_by_doc = [set(e.spans) for e in heldout]
    gold = {(i, *s) for i, spans in enumerate(gold_by_doc) for s in spans}
    none = sum(2 * len(g) for g in gold_by_doc) / len(heldout)
    for size in sizes:
        if size > len(training):
            break
        part = training[:size]
        words = dictionary(part)
        dict_found = [set(dictionary_spans(words, e.text)) for e in heldout]
        started = time.monotonic()
        nlp = entities.train(part, language="en", labels=LABELS, epochs=epochs)
        trained = time.monotonic() - started
        started = time.monotonic()
        found = entities.predict(nlp, [e.text for e in heldout])
        per_doc = (time.monotonic() - started) / len(heldout)
        model_found = [
            {(s["start"], s["end"], s["label"]) for s in f} for f, _ in found
        ]
        rows.append(
            {
                "size": size,
                "dictionary_f1": _f1(gold, dict_found),
                "model_f1": _f1(gold, model_found),
                "actions_none": none,
                "actions_dictionary": _mean_actions(gold_by_doc, dict_found),
                "actions_model": _mean_actions(gold_by_doc, model_found),
                "train_s": trained,
                "predict_ms": 1000 * per_doc,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def _f1(gold: set, found: list[set]) -> float:
    predicted = {(i, *s) for i, spans in enumerate(found) for s in spans}
    return scores(gold, predicted)["micro_f1"]


def _mean_actions(gold_by_doc, found) -> float:
    return sum(actions(g, f) for g, f in zip(gold_by_doc, found, strict=True)) / len(
        gold_by_doc
    )


def fnc_bodies() -> tuple[list[Example], list[Example]]:
    """FNC-1 bodies as documents, their headlines as targets; (training, held-out)
    by the app's held-out hash of the body id."""
    folder = DATA / "fnc1-stance"
    with (folder / "competition_test_bodies.first300.csv").open(newline="") as f:
        bodies = {int(r["Body ID"]): r["articleBody"] for r in csv.DictReader(f)}
    stances = defaultdict(dict)
    with (folder / "competition_test_stances.for_first300_bodies.csv").open(
        newline=""
    ) as f:
        for row in csv.DictReader(f):
            stances[int(row["Body ID"])][row["Headline"]] = row["Stance"]
    examples = [
        Example(pk, text, "en", stances=sorted(stances[pk].items()))
        for pk, text in bodies.items()
    ]
    return (
        [e for e in examples if not is_heldout(e.document_id)],
        [e for e in examples if is_heldout(e.document_id)],
    )


def stance_rows(sizes) -> list[dict]:
    training, heldout = fnc_bodies()
    texts, targets, labels = stance.pairs(heldout)
    gold = set(zip(range(len(labels)), labels, strict=True))
    majority = Counter(label for e in training for _, label in e.stances).most_common(1)
    rows = []
    for size in sizes:
        if size > len(training):
            break
        started = time.monotonic()
        model = stance.train(training[:size])
        trained = time.monotonic() - started
        started = time.monotonic()
        probabilities = model.probabilities(texts, targets)
        per_doc = (time.monotonic() - started) / len(heldout)
        predicted = {(i, max(p, key=p.get)) for i, p in enumerate(probabilities)}
        result = scores(gold, predicted)
        rows.append(
            {
                "size": size,
                "pairs": sum(len(e.stances) for e in training[:size]),
                "macro_f1": result["macro_f1"],
                "accuracy": result["micro_f1"],
                "train_s": trained,
                "predict_ms": 1000 * per_doc,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    majority_f1 = scores(gold, {(i, majority[0][0]) for i in range(len(labels))})
    return rows, len(heldout), len(labels), majority_f1["macro_f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conll-train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--sizes", default="25,50,100,200")
    parser.add_argument("--epochs", type=int, default=20)
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    heldout = test_subset()
    if options.conll_train.is_file():
        training = conll_documents(options.conll_train)
        source = (
            f"{len(training)} CoNLL++ training documents ({options.conll_train.name})"
        )
    else:  # the subset's sentences, split by the app's held-out hash
        sentences = [
            Example(
                i,
                line["text"],
                "en",
                [(e["start"], e["end"], e["label"]) for e in line["entities"]],
            )
            for i, line in enumerate(
                json.loads(row)
                for row in (DATA / "conll2003-ner" / "derived_spans.jsonl").open()
            )
        ]
        training = [s for s in sentences if not is_heldout(s.document_id)]
        heldout = [s for s in sentences if is_heldout(s.document_id)]
        source = "the subset's sentences (no training file)"
    report(
        options,
        source,
        heldout,
        entity_rows(training, heldout, sizes, options.epochs),
        stance_rows(sizes),
    )


def report(options, source, heldout, rows, stance_result) -> None:
    spans = sum(len(e.spans) for e in heldout)
    print(f"## Recommenders (`make bench-models`, {datetime.now(UTC):%Y-%m-%d})\n")
    print(
        f"Entities: trained on {source}, first N documents, {options.epochs} passes; "
        f"held out: {len(heldout)} CoNLL++ test documents ({spans} gold spans), never "
        "trained on. Span F1 is exact (offsets and label).\n"
    )
    print(
        "| training docs | dictionary span F1 | recommender span F1 | actions/doc: none "
        "| dictionary | recommender | training s | prediction ms/doc |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['size']} | {r['dictionary_f1']:.3f} | **{r['model_f1']:.3f}** | "
            f"{r['actions_none']:.1f} | {r['actions_dictionary']:.1f} | "
            f"{r['actions_model']:.1f} | {r['train_s']:.1f} | {r['predict_ms']:.1f} |"
        )
    rows_s, bodies, pairs, majority = stance_result
    print(
        f"\nStance: FNC-1 bodies (headlines as targets); held out: {bodies} bodies, "
        f"{pairs} (body, headline) pairs by the app's held-out hash. Majority class "
        f"macro F1: {majority:.3f}.\n"
    )
    print(
        "| training bodies | pairs | macro F1 | accuracy | training s | prediction ms/pair |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows_s:
        print(
            f"| {r['size']} | {r['pairs']} | **{r['macro_f1']:.3f}** | {r['accuracy']:.3f} "
            f"| {r['train_s']:.1f} | {r['predict_ms'] * bodies / pairs:.2f} |"
        )


if __name__ == "__main__":
    main()
