"""Render pages the cleaner was not shaped on into page text dumps, with the exact w3m
and lynx commands of the benchmark's README, so bench/extract.py can score the cleaner.

    python bench/render_dumps.py                          # the 40 other shared pages
    python bench/render_dumps.py --upstream CHECKOUT      # + upstream's other 121 pages
    python bench/render_dumps.py --wcxb CHECKOUT          # + WCXB's 965 article pages
    python bench/render_dumps.py --mozilla CHECKOUT       # + Mozilla Readability's pages
    python bench/render_dumps.py --trafilatura CHECKOUT   # + trafilatura's 990 eval pages
    python bench/render_dumps.py --l3s CHECKOUT           # + L3S-GN1's 621 news pages

Each set goes to var/bench/<set>/ as html/<id>.html.gz, w3m/<id>.txt, lynx/<id>.txt and
ground-truth.json ({id: {articleBody, url}}, or {id: {with, without, url}} for snippet
sets). Renders run on every core. The checkouts, all public (fetch them with git):
- scrapinghub/article-extraction-benchmark (MIT): the other 121 pages of the shared
  benchmark; bench/extract.py splits them by a hash of the id into upstream-tune and
  upstream-final.
- Murrough-Foley/web-content-extraction-benchmark, "WCXB" (CC-BY-4.0): 2,008
  human-reviewed pages of 1,613 sites from 2025; its pages typed "article" go to
  wcxb-dev and wcxb-test by WCXB's own split.
- mozilla/readability (Apache-2.0): the test pages of Firefox's reader view, real
  articles from news sites in several languages; the body is Readability's expected
  output rendered by w3m, so captions count as body there.
- adbar/trafilatura (Apache-2.0): tests/evaldata.json names, for 990 pages mostly in
  German, Polish and English, snippets the article must hold ("with") and boilerplate
  it must not ("without"); bench/extract.py scores these by snippets, not shingles.
- L3S-GN1 (Kohlschuetter et al., WSDM 2010; research use), e.g. in the checkout of
  geodrome/page-signal: 621 English news articles of 408 sites from Google News in
  2008, text blocks labelled by human assessors. The body is the blocks labelled
  "full text"; headline, captions, related links and comments are not. bench/extract.py
  splits them by a hash of the id into l3s-dev and l3s-test.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from charset_normalizer import from_bytes

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSAPP_SHARED_DATA", ROOT.parent / "shared" / "data"))
BENCH = SHARED / "article-extraction-benchmark"
RENDERS = ROOT / "var" / "bench"
HELD_OUT = RENDERS / "dumps"
UPSTREAM = RENDERS / "upstream"
WCXB = {split: RENDERS / f"wcxb-{split}" for split in ("dev", "test")}
MOZILLA = RENDERS / "mozilla"
TRAFILATURA = RENDERS / "trafilatura-eval"
L3S = RENDERS / "l3s"
L3S_FOLDER = "L3S-GN1-20100130203947-00001"
# Meta tags that declare a charset; lynx obeys them over its own options.
META_CHARSET = re.compile(rb"(<meta[^>]*charset\s*=\s*[\"']?)([\w-]+)", re.IGNORECASE)
RENDERERS = {
    "w3m": ["w3m", "-dump", "-cols", "10000", "-T", "text/html"]
    + ["-I", "UTF-8", "-O", "UTF-8"],
    "lynx": ["lynx", "-dump", "-nolist", "-width=100", "-assume_charset=utf-8"]
    + ["-display_charset=utf-8", "-force_html"],
}
# Mozilla's test pages include unit cases (a few lines of HTML); real pages are larger.
MIN_MOZILLA_PAGE_BYTES = 20_000
MIN_MOZILLA_BODY_CHARS = 800


def render_html(html: bytes, command: list[str]) -> bytes:
    """One page through one renderer. w3m renders nothing from a pipe, so a file it is."""
    with tempfile.NamedTemporaryFile(suffix=".html") as page:
        page.write(html)
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

        def render_one(page_id: str, style: str = style, command=command) -> None:
            html = gzip.decompress((html_dir / f"{page_id}.html.gz").read_bytes())
            (out / style / f"{page_id}.txt").write_bytes(render_html(html, command))

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(render_one, ids))
    print(f"rendered {len(ids)} pages into {out}/{{w3m,lynx}}")


def write_set(out: Path, pages: dict[str, bytes], truth: dict[str, dict]) -> None:
    """A set's gzipped UTF-8 HTML, its ground truth, and both renderings."""
    (out / "html").mkdir(parents=True, exist_ok=True)
    for page_id, html in pages.items():
        (out / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html))
    (out / "ground-truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=4), encoding="utf-8"
    )
    render_pages(out / "html", sorted(truth), out)


def as_utf8(raw: bytes) -> bytes:
    """The renderers are told the page is UTF-8: re-encode a page that is not, and make
    its meta tag say so (lynx obeys the tag over its own option, and a page re-encoded,
    here or by the dataset, still names its old charset)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        if not best:
            return raw
        raw = str(best).encode("utf-8")
    return META_CHARSET.sub(rb"\1utf-8", raw)


def shared_ids() -> set[str]:
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    return set(truth)


def render_held_out() -> None:
    shipped = {path.stem for path in (BENCH / "page-text-dumps" / "w3m").glob("*.txt")}
    render_pages(BENCH / "html", sorted(shared_ids() - shipped), HELD_OUT)


def render_upstream(checkout: Path) -> None:
    """Upstream's pages beyond the shared 60, with their ground truth."""
    truth = json.loads((checkout / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(set(truth) - shared_ids())
    pages = {
        page_id: gzip.decompress(
            (checkout / "html" / f"{page_id}.html.gz").read_bytes()
        )
        for page_id in ids
    }
    write_set(UPSTREAM, pages, {page_id: truth[page_id] for page_id in ids})


def render_wcxb(checkout: Path) -> None:
    """WCXB's article pages, by its own dev/test split, with their ground truth."""
    files = json.loads((checkout / "metadata.json").read_text(encoding="utf-8"))
    for split, out in WCXB.items():
        pages, truth = {}, {}
        for page_id, page in sorted(files["files"].items()):
            if page["split"] != split or page["page_type"] != "article":
                continue
            record = json.loads(
                (checkout / split / "ground-truth" / f"{page_id}.json").read_text(
                    encoding="utf-8"
                )
            )
            # A few records carry no main_content: nothing to score them against.
            if not record["ground_truth"].get("main_content"):
                continue
            truth[page_id] = {
                "articleBody": record["ground_truth"]["main_content"],
                "url": record.get("url", ""),
            }
            html_gz = checkout / split / "html" / f"{page_id}.html.gz"
            pages[page_id] = gzip.decompress(html_gz.read_bytes())
        write_set(out, pages, truth)


def render_mozilla(checkout: Path) -> None:
    """Readability's real test pages; the body is its expected output as w3m prints it,
    one paragraph a line."""
    pages, truth = {}, {}
    for folder in sorted((checkout / "test" / "test-pages").iterdir()):
        source, expected = folder / "source.html", folder / "expected.html"
        if not (source.exists() and expected.exists()):
            continue
        if source.stat().st_size < MIN_MOZILLA_PAGE_BYTES:
            continue
        text = render_html(expected.read_bytes(), RENDERERS["w3m"]).decode(
            "utf-8", "replace"
        )
        body = "\n\n".join(
            " ".join(line.split()) for line in text.split("\n") if line.strip()
        )
        if len(body) < MIN_MOZILLA_BODY_CHARS:
            continue
        pages[folder.name] = as_utf8(source.read_bytes())
        truth[folder.name] = {"articleBody": body, "url": ""}
    write_set(MOZILLA, pages, truth)


def render_trafilatura(checkout: Path) -> None:
    """trafilatura's evaluation pages with their with/without snippets."""
    evaldata = json.loads(
        (checkout / "tests" / "evaldata.json").read_text(encoding="utf-8")
    )
    pages, truth = {}, {}
    for url, record in evaldata.items():
        name = record["file"]
        path = checkout / "tests" / "eval" / name
        if not path.exists():
            path = checkout / "tests" / "cache" / name
        if not path.exists():
            continue
        page_id = hashlib.sha1(name.encode()).hexdigest()[:16]
        pages[page_id] = as_utf8(path.read_bytes())
        truth[page_id] = {
            "with": record.get("with", []),
            "without": record.get("without", []),
            "url": url,
        }
    write_set(TRAFILATURA, pages, truth)


def render_l3s(checkout: Path) -> None:
    """L3S-GN1's original pages; the body is the text its assessors labelled full text
    (class x-nc-sel2 in the annotated copy), block by block in page order."""
    from lxml import html as lxml_html

    folder = checkout / L3S_FOLDER if (checkout / L3S_FOLDER).is_dir() else checkout
    pages, truth = {}, {}
    for original in sorted((folder / "original").glob("*.html")):
        annotated = lxml_html.fromstring(
            (folder / "annotated" / original.name).read_bytes()
        )
        blocks = annotated.xpath('//span[contains(@class, "x-nc-sel2")]')
        body = "\n".join(
            " ".join(text.split())
            for block in blocks
            if (text := "".join(block.xpath("./text()")))
        )
        pages[original.stem] = as_utf8(original.read_bytes())
        truth[original.stem] = {"articleBody": body, "url": ""}
    write_set(L3S, pages, truth)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--upstream",
        type=Path,
        help="a checkout of scrapinghub/article-extraction-benchmark",
    )
    parser.add_argument(
        "--wcxb",
        type=Path,
        help="a checkout of Murrough-Foley/web-content-extraction-benchmark",
    )
    parser.add_argument(
        "--mozilla", type=Path, help="a checkout of mozilla/readability"
    )
    parser.add_argument(
        "--trafilatura", type=Path, help="a checkout of adbar/trafilatura"
    )
    parser.add_argument(
        "--l3s", type=Path, help="a folder holding L3S-GN1 (e.g. geodrome/page-signal)"
    )
    args = parser.parse_args()
    render_held_out()
    for checkout, render in (
        (args.upstream, render_upstream),
        (args.wcxb, render_wcxb),
        (args.mozilla, render_mozilla),
        (args.trafilatura, render_trafilatura),
        (args.l3s, render_l3s),
    ):
        if checkout:
            render(checkout)


if __name__ == "__main__":
    main()
