"""Render benchmark pages the cleaner was not shaped on into page text dumps, with the
exact w3m and lynx commands of the benchmark's README, so bench/extract.py can score the
cleaner on them.

    python bench/render_dumps.py                      # the 40 shared pages without dumps
    python bench/render_dumps.py --upstream CHECKOUT  # also upstream's other 121 pages

The first writes var/bench/dumps/{w3m,lynx}/<id>.txt. With a checkout of
scrapinghub/article-extraction-benchmark, the pages that are not among the shared 60 go
to var/bench/upstream/ with their HTML and ground truth; bench/extract.py splits them by
a hash of the id into upstream-tune and upstream-final (the sealed half for a last check).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSAPP_SHARED_DATA", ROOT.parent / "shared" / "data"))
BENCH = SHARED / "article-extraction-benchmark"
HELD_OUT = ROOT / "var" / "bench" / "dumps"
UPSTREAM = ROOT / "var" / "bench" / "upstream"
RENDERERS = {
    "w3m": ["w3m", "-dump", "-cols", "10000", "-T", "text/html"]
    + ["-I", "UTF-8", "-O", "UTF-8"],
    "lynx": ["lynx", "-dump", "-nolist", "-width=100", "-assume_charset=utf-8"]
    + ["-display_charset=utf-8", "-force_html"],
}


def render(html_gz: Path, command: list[str]) -> bytes:
    """One page through one renderer. w3m renders nothing from a pipe, so a file it is."""
    with tempfile.NamedTemporaryFile(suffix=".html") as page:
        page.write(gzip.decompress(html_gz.read_bytes()))
        page.flush()
        result = subprocess.run(
            [*command, page.name],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=120,
        )
    return result.stdout


def render_pages(html_dir: Path, ids: list[str], out: Path) -> None:
    for style, command in RENDERERS.items():
        if shutil.which(command[0]) is None:
            raise SystemExit(f"{command[0]} is not installed: apt-get install {style}")
        (out / style).mkdir(parents=True, exist_ok=True)
        for page_id in ids:
            dump = render(html_dir / f"{page_id}.html.gz", command)
            (out / style / f"{page_id}.txt").write_bytes(dump)
    print(f"rendered {len(ids)} pages into {out}/{{w3m,lynx}}")


def shared_ids() -> set[str]:
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    return set(truth)


def render_held_out() -> None:
    shipped = {path.stem for path in (BENCH / "page-text-dumps" / "w3m").glob("*.txt")}
    render_pages(BENCH / "html", sorted(shared_ids() - shipped), HELD_OUT)


def render_upstream(checkout: Path) -> None:
    """Copy upstream's pages beyond the shared 60, with their ground truth, and render."""
    truth = json.loads((checkout / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(set(truth) - shared_ids())
    (UPSTREAM / "html").mkdir(parents=True, exist_ok=True)
    for page_id in ids:
        name = f"{page_id}.html.gz"
        shutil.copyfile(checkout / "html" / name, UPSTREAM / "html" / name)
    subset = {page_id: truth[page_id] for page_id in ids}
    (UPSTREAM / "ground-truth.json").write_text(
        json.dumps(subset, ensure_ascii=False, indent=4), encoding="utf-8"
    )
    render_pages(UPSTREAM / "html", ids, UPSTREAM)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--upstream",
        type=Path,
        help="a checkout of scrapinghub/article-extraction-benchmark",
    )
    args = parser.parse_args()
    render_held_out()
    if args.upstream:
        render_upstream(args.upstream)


if __name__ == "__main__":
    main()
