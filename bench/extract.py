"""Page-dump cleaner quality: precision, recall and F1 over 4-token shingles against the
article-extraction benchmark's human-checked bodies, per page and micro-averaged per
rendering style, beside taking the dump whole and trafilatura on the same pages' HTML.

    python bench/extract.py [--render] [--json PATH] [--pages]

The 20 pages with dumps in the shared data are the development set. `--render` first
renders the other 40 benchmark pages with w3m and lynx (the README's exact commands)
into var/bench/dumps/, a held-out set the cleaner was never shaped on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.ingest.pagedump import clean_page_dump  # noqa: E402

SHARED = Path(os.environ.get("NEWSAPP_SHARED_DATA", ROOT.parent / "shared" / "data"))
BENCH = SHARED / "article-extraction-benchmark"
HELD_OUT = ROOT / "var" / "bench" / "dumps"
RENDERERS = {
    "w3m": [
        "w3m",
        "-dump",
        "-cols",
        "10000",
        "-T",
        "text/html",
        "-I",
        "UTF-8",
        "-O",
        "UTF-8",
    ],
    "lynx": [
        "lynx",
        "-dump",
        "-nolist",
        "-width=100",
        "-assume_charset=utf-8",
        "-display_charset=utf-8",
        "-force_html",
    ],
}


def shingles(text: str, size: int = 4) -> Counter:
    """Multiset of overlapping 4-token windows over whitespace tokens."""
    tokens = text.split()
    return Counter(
        tuple(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))
    )


def overlap(truth: str, predicted: str) -> tuple[int, int, int]:
    """(shared, predicted total, true total) shingle counts: micro-averaging adds these up."""
    true, pred = shingles(truth), shingles(predicted)
    return sum((true & pred).values()), sum(pred.values()), sum(true.values())


def scores(counts: tuple[int, int, int]) -> tuple[float, float, float]:
    shared, predicted, true = counts
    precision = shared / predicted if predicted else 0.0
    recall = shared / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def render_held_out(truth: dict[str, dict]) -> None:
    """Render the benchmark pages that have no shipped dumps with w3m and lynx."""
    shipped = {path.stem for path in (BENCH / "page-text-dumps" / "w3m").glob("*.txt")}
    for style, command in RENDERERS.items():
        if shutil.which(command[0]) is None:
            raise SystemExit(
                f"{command[0]} is not installed (apt-get install {command[0]})"
            )
        folder = HELD_OUT / style
        folder.mkdir(parents=True, exist_ok=True)
        for page_id in sorted(set(truth) - shipped):
            page = folder / f"{page_id}.html"
            page.write_bytes(
                gzip.decompress((BENCH / "html" / f"{page_id}.html.gz").read_bytes())
            )
            # w3m renders nothing from a pipe, so each page goes through a file.
            result = subprocess.run(
                [*command, str(page)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
                timeout=60,
            )
            page.unlink()
            (folder / f"{page_id}.txt").write_bytes(result.stdout)


def evaluate(
    folder: Path, truth: dict[str, dict], show_pages: bool
) -> dict[str, tuple]:
    totals = {"cleaner": [0, 0, 0], "whole dump": [0, 0, 0]}
    for path in sorted(folder.glob("*.txt")):
        body = truth[path.stem]["articleBody"]
        dump = path.read_text(encoding="utf-8", errors="replace")
        cleaned = clean_page_dump(dump).text
        for name, predicted in (("cleaner", cleaned), ("whole dump", dump)):
            counts = overlap(body, predicted)
            totals[name] = [a + b for a, b in zip(totals[name], counts, strict=True)]
        if show_pages:
            p, r, f = scores(overlap(body, cleaned))
            print(f"    {path.stem[:12]}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    return {name: scores(tuple(counts)) for name, counts in totals.items()} | {
        "pages": len(list(folder.glob("*.txt")))
    }


def trafilatura_scores(
    ids: list[str], truth: dict[str, dict]
) -> tuple[float, float, float]:
    import trafilatura

    totals = [0, 0, 0]
    for page_id in ids:
        html = gzip.decompress(
            (BENCH / "html" / f"{page_id}.html.gz").read_bytes()
        ).decode("utf-8", "replace")
        predicted = trafilatura.extract(html, include_comments=False) or ""
        counts = overlap(truth[page_id]["articleBody"], predicted)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    return scores(tuple(totals))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--render", action="store_true", help="render the 40 held-out pages first"
    )
    parser.add_argument("--pages", action="store_true", help="print every page's score")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    if args.render:
        render_held_out(truth)
    report: dict = {}
    sets = [("dev", BENCH / "page-text-dumps"), ("held-out", HELD_OUT)]
    print(
        f"{'set':<9} {'style':<5} {'pages':>5}  {'cleaner P/R/F1':<20} {'whole dump F1':>13}  {'trafilatura on HTML F1':>22}"
    )
    for set_name, base in sets:
        for style in RENDERERS:
            folder = base / style
            if not folder.is_dir() or not any(folder.glob("*.txt")):
                continue
            result = evaluate(folder, truth, args.pages)
            ids = [path.stem for path in sorted(folder.glob("*.txt"))]
            result["trafilatura_html"] = trafilatura_scores(ids, truth)
            report[f"{set_name}/{style}"] = result
            p, r, f = result["cleaner"]
            print(
                f"{set_name:<9} {style:<5} {result['pages']:>5}  {p:.3f}/{r:.3f}/{f:.3f}      "
                f"{result['whole dump'][2]:>13.3f}  {result['trafilatura_html'][2]:>22.3f}"
            )
    if not HELD_OUT.is_dir():
        print("(no held-out renders: run with --render, which needs w3m and lynx)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
