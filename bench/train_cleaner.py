"""Train the page-dump cleaner's block model and write annotate/ingest/pagedump/model.json.

    python bench/train_cleaner.py            # cross-validate, then train on everything
    python bench/train_cleaner.py --no-cv    # train only

The training pages are the benchmark pages whose bodies are human-checked and that the
cleaner's report does not score as unseen: the 20 development pages, the 40 other
shared pages ("held-out" until this model; bench/render_dumps.py renders them) and
upstream's tune half (bench/render_dumps.py --upstream). Upstream's final half, WCXB
and Mozilla's pages stay out: bench/extract.py scores the cleaner on them.

A block's label is whether most of its 4-token shingles are in the article body (for a
block of fewer than four tokens: whether the body holds it). Both renderings of a page
are trained on, each block weighted by its words, as the score counts words.
Cross-validation keeps both renderings of a page in one fold and reports, per style,
the model's run alone and the cleaner (heuristic and model together) on pages the
model did not see; the heuristic's own score there is beside them, but it was shaped
on these pages, so only the model's columns are an unseen-page estimate.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.ingest.pagedump import (  # noqa: E402
    body_blocks,
    heuristic_extent,
    read_page,
)
from annotate.ingest.pagedump.model import (  # noqa: E402
    MODEL_FILE,
    TreeEnsemble,
    block_features,
)
from bench.extract import SETS, STYLES, add, overlap, scores, shingles  # noqa: E402

TRAINING_SETS = ("dev", "held-out", "upstream-tune")
PARAMETERS = {
    "max_iter": 100,
    "max_leaf_nodes": 20,
    "learning_rate": 0.1,
    "max_depth": 6,
    "min_samples_leaf": 100,
    "l2_regularization": 1.0,
    "random_state": 0,
}


def block_labels(texts: list[str], body: str) -> list[bool]:
    truth = shingles(body)
    flat = f" {' '.join(body.split())} "
    labels = []
    for text in texts:
        if len(text.split()) >= 4:
            mine = shingles(text)
            labels.append(sum((mine & truth).values()) >= 0.5 * sum(mine.values()))
        else:
            labels.append(f" {text} " in flat)
    return labels


def training_pages() -> list[dict]:
    pages = []
    for page_set in SETS:
        if page_set.name not in TRAINING_SETS:
            continue
        if not all((page_set.dumps / style).is_dir() for style in STYLES):
            raise SystemExit(
                f"{page_set.name}: no renders; run bench/render_dumps.py --upstream CHECKOUT"
            )
        truth_file = page_set.benchmark / "ground-truth.json"
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for style in STYLES:
            for path in sorted((page_set.dumps / style).glob("*.txt")):
                if path.stem not in truth or not page_set.keep(path.stem):
                    continue
                page = read_page(path.read_text(encoding="utf-8", errors="replace"))
                if not page.blocks:
                    continue
                body = truth[path.stem]["articleBody"]
                texts = [block.text for block in page.blocks]
                names, rows = block_features(
                    page.blocks, page.stoplist, unwrapped=page.unwrapped
                )
                pages.append(
                    {
                        "id": path.stem,
                        "set": page_set.name,
                        "style": style,
                        "body": body,
                        "texts": texts,
                        "rows": rows,
                        "names": names,
                        "labels": np.array(block_labels(texts, body)),
                        "words": np.array([max(1, len(t.split())) for t in texts]),
                        "blocks": page.blocks,
                        "extent": heuristic_extent(page.blocks),
                    }
                )
    return pages


def fit(pages: list[dict]) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(**PARAMETERS)
    model.fit(
        np.vstack([page["rows"] for page in pages]),
        np.concatenate([page["labels"] for page in pages]),
        sample_weight=np.concatenate([page["words"] for page in pages]),
    )
    return model


def cross_validate(pages: list[dict], folds: int) -> None:
    ids = sorted({page["id"] for page in pages})
    random.Random(0).shuffle(ids)
    totals: dict[tuple[str, str, str], tuple[int, int, int]] = {}
    for fold in range(folds):
        held = set(ids[fold::folds])
        model = fit([page for page in pages if page["id"] not in held])
        for page in pages:
            if page["id"] not in held:
                continue
            likely = model.predict_proba(page["rows"])[:, 1]
            for name, extent, probabilities in (
                ("heuristic", page["extent"], None),
                ("model", set(), likely),
                ("cleaner", page["extent"], likely),
            ):
                kept = body_blocks(page["blocks"], extent, probabilities)
                text = "\n\n".join(page["texts"][i] for i in kept)
                counts = overlap(page["body"], text)
                for group in ("all", page["set"]):
                    key = (group, name, page["style"])
                    totals[key] = add(totals.get(key, (0, 0, 0)), counts)
    print(f"{folds}-fold cross-validation over {len(ids)} pages (micro P / R / F1):")
    for group in ("all", *TRAINING_SETS):
        for name in ("heuristic", "model", "cleaner"):
            cells = "   ".join(
                "{} {:.3f} / {:.3f} / {:.3f}".format(
                    style, *scores(totals[group, name, style])
                )
                for style in STYLES
            )
            print(f"  {group:<14} {name:<10} {cells}")


def export(model: HistGradientBoostingClassifier, names: list[str]) -> dict:
    """The trees as plain lists (see TreeEnsemble): no pickle, no scikit-learn needed
    to use them."""
    trees, depth = [], 0
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        depth = max(depth, int(nodes["depth"].max()))
        trees.append(
            {
                "feature": [
                    -1 if leaf else int(feature)
                    for leaf, feature in zip(
                        nodes["is_leaf"], nodes["feature_idx"], strict=True
                    )
                ],
                "threshold": [float(value) for value in nodes["num_threshold"]],
                "left": [int(child) for child in nodes["left"]],
                "right": [int(child) for child in nodes["right"]],
                "value": [float(value) for value in nodes["value"]],
            }
        )
    return {
        "features": names,
        "baseline": float(np.ravel(model._baseline_prediction)[0]),
        "depth": depth,
        "trees": trees,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    pages = training_pages()
    names = pages[0]["names"]
    counts = Counter(page["style"] for page in pages)
    blocks = sum(len(page["texts"]) for page in pages)
    print(
        f"{len(pages)} renders ({dict(counts)}), {blocks} blocks, {len(names)} features"
    )
    if not args.no_cv:
        cross_validate(pages, args.folds)
    model = fit(pages)
    exported = export(model, names)
    rows = np.vstack([page["rows"] for page in pages])
    ours = TreeEnsemble.from_dict(exported).probabilities(rows)
    theirs = model.predict_proba(rows)[:, 1]
    if not np.allclose(ours, theirs, atol=1e-9):
        raise SystemExit("the exported trees do not reproduce scikit-learn's output")
    MODEL_FILE.write_text(json.dumps(exported, separators=(",", ":")), encoding="utf-8")
    print(
        f"wrote {MODEL_FILE.relative_to(ROOT)}: {len(exported['trees'])} trees,"
        f" {MODEL_FILE.stat().st_size // 1024} KB, in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
