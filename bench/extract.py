"""Page-dump cleaner quality: precision, recall and F1 over 4-token shingles against
human-checked article bodies, per page and micro-averaged per rendering style, beside
taking the dump whole and trafilatura on the same pages' HTML; and the time to clean a
5 MB dump.

    python bench/extract.py                          # every set that has renders
    python bench/extract.py --set upstream-final --per-page
    python bench/extract.py --pages var/bench/upstream   # any folder of renders
    python bench/extract.py --json var/bench/extract.json

Tokens are whitespace-separated; shingles are multisets (a sentence repeated in the
prediction counts twice against precision). Micro-averaging adds up the shared, predicted
and true shingle counts of all pages before dividing. The trafilatura-eval set is scored
by its snippets instead: precision is the share of the snippets found that belong to
the article, recall the share of the article's snippets found. The L3S sets are scored
on words alone, with characters outside Latin-1 read as "?" on both sides: their
labelled copies were saved in Latin-1, and split text at every link.

Sets (bench/render_dumps.py renders them; docs/cleaner.md says which the cleaner and
its model were shaped or trained on): "dev", the 20 pages whose dumps ship in the shared
data; "held-out", the other 40 shared pages; "upstream-tune" and "upstream-final",
upstream's other 121 pages split in two halves by a hash of the page id; "wcxb-dev",
"wcxb-test", "mozilla", "trafilatura-eval", "l3s-dev" and "l3s-test" from other public
benchmarks. A folder given with --pages holds w3m/ and lynx/ renders, and its own
ground-truth.json and html/ or else the shared benchmark's.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.ingest.pagedump import clean_page_dump  # noqa: E402
from bench.render_dumps import (  # noqa: E402
    BENCH,
    HELD_OUT,
    L3S,
    MOZILLA,
    TRAFILATURA,
    UPSTREAM,
    WCXB,
)

STYLES = ("w3m", "lynx")
BASELINES = ("whole dump", "trafilatura")
Counts = tuple[int, int, int]


def upstream_half(page_id: str) -> str:
    """'tune' or 'final': a fixed split of the upstream pages, by a hash of the id."""
    return "tune" if hashlib.sha256(page_id.encode()).digest()[0] % 2 == 0 else "final"


def l3s_part(page_id: str) -> str:
    """'dev' (a third) or 'test': a fixed split of the L3S pages, by a hash of the id."""
    return "dev" if hashlib.sha256(page_id.encode()).digest()[0] % 3 == 0 else "test"


def unchanged(text: str) -> str:
    return text


def latin1_words(text: str) -> str:
    """The words of a text whose characters outside Latin-1 are read as '?'."""
    return " ".join(
        re.findall(r"\w+", text.encode("latin-1", "replace").decode("latin-1"))
    )


class PageSet(NamedTuple):
    name: str
    dumps: Path  # holds w3m/ and lynx/
    benchmark: Path  # holds html/ and ground-truth.json
    keep: Callable[[str], bool] = lambda page_id: True
    # Scored by snippets the body must and must not hold, not by shingles.
    snippets: bool = False
    # The option of bench/render_dumps.py that renders it from a checkout.
    render_option: str = ""
    # What both the body and the prediction are read as before shingling.
    fold: Callable[[str], str] = unchanged


SETS = (
    PageSet("dev", BENCH / "page-text-dumps", BENCH),
    PageSet("held-out", HELD_OUT, BENCH),
    PageSet(
        "upstream-tune",
        UPSTREAM,
        UPSTREAM,
        lambda i: upstream_half(i) == "tune",
        render_option="--upstream",
    ),
    PageSet(
        "upstream-final",
        UPSTREAM,
        UPSTREAM,
        lambda i: upstream_half(i) == "final",
        render_option="--upstream",
    ),
    PageSet("wcxb-dev", WCXB["dev"], WCXB["dev"], render_option="--wcxb"),
    PageSet("wcxb-test", WCXB["test"], WCXB["test"], render_option="--wcxb"),
    PageSet("mozilla", MOZILLA, MOZILLA, render_option="--mozilla"),
    PageSet(
        "trafilatura-eval",
        TRAFILATURA,
        TRAFILATURA,
        snippets=True,
        render_option="--trafilatura",
    ),
    *(
        PageSet(
            f"l3s-{part}",
            L3S,
            L3S,
            lambda i, part=part: l3s_part(i) == part,
            render_option="--l3s",
            fold=latin1_words,
        )
        for part in ("dev", "test")
    ),
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


def snippet_overlap(record: dict, predicted: str) -> Counts:
    """(with-snippets found, snippets found, with-snippets): precision is the share of
    found snippets that should be there, recall the share of wanted ones found."""
    text = " ".join(predicted.split())
    found = [s for s in record["with"] if " ".join(s.split()) in text]
    wrong = [s for s in record["without"] if " ".join(s.split()) in text]
    return len(found), len(found) + len(wrong), len(record["with"])


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
        path = benchmark / "html" / f"{page_id}.html.gz"
        if not path.exists():
            bodies[page_id] = ""
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        bodies[page_id] = trafilatura.extract(html, include_comments=False) or ""
    return bodies


def score_style(
    paths: list[Path],
    truth: dict[str, dict],
    extracted: dict[str, str],
    *,
    snippets: bool = False,
    fold: Callable[[str], str] = unchanged,
) -> dict:
    """Per-page and micro-averaged scores of the cleaner, the whole dump and trafilatura."""
    totals = dict.fromkeys(("cleaner", *BASELINES), (0, 0, 0))
    pages, elapsed, slowest = {}, 0.0, 0.0
    for path in paths:
        record = truth[path.stem]
        dump = path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        cleaned = clean_page_dump(dump).text
        took = time.perf_counter() - started
        elapsed, slowest = elapsed + took, max(slowest, took)
        candidates = {
            "cleaner": cleaned,
            "whole dump": dump,
            "trafilatura": extracted[path.stem],
        }
        page = {}
        for name, predicted in candidates.items():
            if snippets:
                counts = snippet_overlap(record, predicted)
            else:
                counts = overlap(fold(record["articleBody"]), fold(predicted))
            totals[name] = add(totals[name], counts)
            page[name] = scores(counts)
        pages[path.stem] = page
    return {
        "pages": pages,
        "micro": {name: scores(counts) for name, counts in totals.items()},
        "ms_per_page": round(1000 * elapsed / len(paths), 2) if paths else 0.0,
        "slowest_seconds": round(slowest, 3),
    }


def print_pages(pages: dict[str, dict[str, tuple[float, float, float]]]) -> None:
    for page_id, page in pages.items():
        p, r, f = page["cleaner"]
        print(
            f"    {page_id[:12]}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}"
            f"   whole dump {page['whole dump'][2]:.3f}"
            f"   trafilatura {page['trafilatura'][2]:.3f}"
        )


HEADER = (
    f"{'set':<16} {'style':<5} {'pages':>5}  {'P':<5}  {'R':<5}  {'F1':<5}"
    f"  {'whole dump':>10}  {'trafilatura':>11}  {'ms/page':>7}  {'slowest':>7}"
)


def print_row(set_name: str, style: str, result: dict) -> None:
    micro = result["micro"]
    p, r, f = micro["cleaner"]
    print(
        f"{set_name:<16} {style:<5} {len(result['pages']):>5}  {p:.3f}  {r:.3f}"
        f"  {f:.3f}  {micro['whole dump'][2]:>10.3f}  {micro['trafilatura'][2]:>11.3f}"
        f"  {result['ms_per_page']:>7.1f}  {result['slowest_seconds']:>6.2f}s"
    )


def score_set(page_set: PageSet, *, per_page: bool, report: dict) -> None:
    if not all((page_set.dumps / style).is_dir() for style in STYLES):
        option = page_set.render_option
        hint = f" {option} CHECKOUT" if option else ""
        print(f"{page_set.name:<16} (no renders: run bench/render_dumps.py{hint})")
        return
    truth_file = page_set.benchmark / "ground-truth.json"
    if not truth_file.exists():
        truth_file = BENCH / "ground-truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    html_home = page_set.benchmark if (page_set.benchmark / "html").is_dir() else BENCH
    ids = sorted(
        path.stem
        for path in (page_set.dumps / "w3m").glob("*.txt")
        if path.stem in truth and page_set.keep(path.stem)
    )
    extracted = trafilatura_bodies(html_home, ids)
    for style in STYLES:
        paths = [page_set.dumps / style / f"{page_id}.txt" for page_id in ids]
        result = score_style(
            [path for path in paths if path.exists()],
            truth,
            extracted,
            snippets=page_set.snippets,
            fold=page_set.fold,
        )
        report[f"{page_set.name}/{style}"] = result
        if per_page:
            print_pages(result["pages"])
        print_row(page_set.name, style, result)


def prose_dump() -> str:
    """Paragraphs below a menu, past the 5 MB an import reads of one file."""
    menu = "\n".join(f"  • Section {n}" for n in range(7))
    sentence = (
        "The minister arrived in the capital on Monday for talks, officials said."
    )
    paragraphs = (f"{sentence} It is paragraph {n}." for n in range(60_000))
    return menu + "\n\n" + "\n\n".join(paragraphs)


def table_dump() -> str:
    """Rows alike in shape and words, in blocks of 300: the worst case of the column
    and reprint searches, which compare lines and blocks with one another."""
    return "\n".join(
        f"Team A{n % 10}  {n % 7}  Team B{n % 9}  {n % 5}"
        + ("\n" if n % 300 == 0 else "")
        for n in range(220_000)
    )


# Built when timed, not when the module is imported (the tests import it).
LARGE_DUMPS = {
    "50,000 paragraphs below a menu": prose_dump,
    "a results table in blocks of 300 rows": table_dump,
}


def time_large_dumps() -> dict[str, float]:
    """Seconds to clean each 5 MB dump."""
    seconds = {}
    for name, build in LARGE_DUMPS.items():
        dump = build()[:5_000_000]
        started = time.perf_counter()
        clean_page_dump(dump)
        seconds[name] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pages",
        type=Path,
        action="append",
        default=[],
        help="also score this folder of w3m/ and lynx/ renders, page by page",
    )
    parser.add_argument(
        "--set",
        action="append",
        choices=[page_set.name for page_set in SETS],
        help="score only this set (repeatable); default: all",
    )
    parser.add_argument("--per-page", action="store_true", help="print every page")
    parser.add_argument("--json", type=Path, help="write all scores to this file")
    args = parser.parse_args()
    chosen = [s for s in SETS if args.set is None or s.name in args.set]
    if args.pages and args.set is None:
        chosen = []
    extra = [PageSet(folder.name, folder, folder) for folder in args.pages]
    print(HEADER)
    report: dict = {}
    for page_set in chosen:
        score_set(page_set, per_page=args.per_page, report=report)
    for page_set in extra:
        score_set(page_set, per_page=True, report=report)
    report["five_megabyte_dump_seconds"] = time_large_dumps()
    for name, seconds in report["five_megabyte_dump_seconds"].items():
        print(f"a 5 MB dump ({name}): {seconds:.1f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
