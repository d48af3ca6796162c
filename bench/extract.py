"""Page-dump cleaner quality: precision, recall and F1 over 4-token shingles against the
article-extraction benchmark's human-checked bodies, per page and micro-averaged per
rendering style, beside taking the dump whole and trafilatura on the same pages' HTML.

    python bench/extract.py [--pages] [--json PATH]

Tokens are whitespace-separated; shingles are multisets (a sentence repeated in the
prediction counts twice against precision). Micro-averaging adds up the shared, predicted
and true shingle counts of all pages before dividing.

Sets: "dev" is the 20 pages whose dumps ship in the shared data (the cleaner was shaped
on them); "held-out" is the other 40 shared pages rendered by bench/render_dumps.py;
"upstream" is the rest of upstream's 181 pages, when render_dumps.py --upstream made it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.ingest.pagedump import clean_page_dump  # noqa: E402
from bench.render_dumps import BENCH, HELD_OUT, UPSTREAM  # noqa: E402

STYLES = ("w3m", "lynx")
Counts = tuple[int, int, int]


class PageSet(NamedTuple):
    name: str
    dumps: Path  # holds w3m/ and lynx/
    benchmark: Path  # holds html/ and ground-truth.json


SETS = (
    PageSet("dev", BENCH / "page-text-dumps", BENCH),
    PageSet("held-out", HELD_OUT, BENCH),
    PageSet("upstream", UPSTREAM, UPSTREAM),
)


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = text.split()
    return Counter(
        tuple(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))
    )


def overlap(truth: str, predicted: str) -> Counts:
    """(shared, predicted, true) shingle counts."""
    true, pred = shingles(truth), shingles(predicted)
    return sum((true & pred).values()), sum(pred.values()), sum(true.values())


def scores(counts: Counts) -> tuple[float, float, float]:
    shared, predicted, true = counts
    precision = shared / predicted if predicted else 0.0
    recall = shared / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def add(total: Counts, counts: Counts) -> Counts:
    return (total[0] + counts[0], total[1] + counts[1], total[2] + counts[2])


def trafilatura_bodies(benchmark: Path, ids: list[str]) -> dict[str, str]:
    import trafilatura

    bodies = {}
    for page_id in ids:
        html = gzip.decompress((benchmark / "html" / f"{page_id}.html.gz").read_bytes())
        bodies[page_id] = (
            trafilatura.extract(html.decode("utf-8", "replace"), include_comments=False)
            or ""
        )
    return bodies


def score_style(
    folder: Path, truth: dict[str, dict], extracted: dict[str, str]
) -> dict:
    """Per-page and micro-averaged scores of the cleaner, the whole dump and trafilatura."""
    totals = {"cleaner": (0, 0, 0), "whole dump": (0, 0, 0), "trafilatura": (0, 0, 0)}
    pages, slowest = {}, 0.0
    for path in sorted(folder.glob("*.txt")):
        body = truth[path.stem]["articleBody"]
        dump = path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        cleaned = clean_page_dump(dump).text
        slowest = max(slowest, time.perf_counter() - started)
        candidates = {
            "cleaner": cleaned,
            "whole dump": dump,
            "trafilatura": extracted[path.stem],
        }
        for name, predicted in candidates.items():
            totals[name] = add(totals[name], overlap(body, predicted))
        pages[path.stem] = scores(overlap(body, cleaned))
    return {
        "pages": pages,
        "micro": {name: scores(counts) for name, counts in totals.items()},
        "slowest_seconds": round(slowest, 3),
    }


def print_pages(pages: dict[str, tuple[float, float, float]]) -> None:
    for page_id, (p, r, f) in pages.items():
        print(f"    {page_id[:12]}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}")


def print_row(set_name: str, style: str, result: dict) -> None:
    micro = result["micro"]
    p, r, f = micro["cleaner"]
    print(
        f"{set_name:<9} {style:<5} {len(result['pages']):>5}  {p:.3f}  {r:.3f}  {f:.3f}"
        f"  {micro['whole dump'][2]:>10.3f}  {micro['trafilatura'][2]:>11.3f}"
        f"  {result['slowest_seconds']:>7.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", action="store_true", help="print every page's F1")
    parser.add_argument("--json", type=Path, help="write all scores to this file")
    args = parser.parse_args()
    print(
        f"{'set':<9} {'style':<5} {'pages':>5}  {'P':<5}  {'R':<5}  {'F1':<5}"
        f"  {'whole dump':>10}  {'trafilatura':>11}  {'slowest':>8}"
    )
    report = {}
    for page_set in SETS:
        if not all((page_set.dumps / style).is_dir() for style in STYLES):
            print(f"{page_set.name:<9} (no dumps: run bench/render_dumps.py)")
            continue
        truth_file = page_set.benchmark / "ground-truth.json"
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        ids = sorted({path.stem for path in (page_set.dumps / "w3m").glob("*.txt")})
        extracted = trafilatura_bodies(page_set.benchmark, ids)
        for style in STYLES:
            result = score_style(page_set.dumps / style, truth, extracted)
            report[f"{page_set.name}/{style}"] = result
            if args.pages:
                print_pages(result["pages"])
            print_row(page_set.name, style, result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
