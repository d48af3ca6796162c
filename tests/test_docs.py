"""The README stays a newcomer's page and the docs stay true to the code: every setting
in the table, every page linked, every path named still there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = (
    "annotating",
    "reviewing",
    "formats",
    "cleaner",
    "exports",
    "architecture",
    "scaling",
    "security",
    "benchmarks",
)
# How settings.py reads a variable: its env_* helpers (or os.environ, should one creep in).
ENV_READ = re.compile(
    r"""(?:env_(?:str|bool|int|float|choice|list)|os\.environ\.get|os\.getenv)\(\s*"([A-Z0-9_]+)"|"""
    r"""os\.environ\[\s*"([A-Z0-9_]+)"\s*\]"""
)


def documents() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def settings_table() -> str:
    text = README.read_text()
    start = text.index("## Settings")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_is_short():
    assert README.stat().st_size < 10 * 1024


def test_the_readme_lists_every_variable_the_settings_read():
    source = (ROOT / "newsapp" / "settings.py").read_text()
    names = {a or b for a, b in ENV_READ.findall(source)}
    assert {"DATABASE_URL", "SECRET_KEY", "NEWSAPP_UPLOAD_MAX_BYTES"} <= names
    table = settings_table()
    assert sorted(name for name in names if f"`{name}`" not in table) == []


def test_the_readme_links_every_reference_page():
    text = README.read_text()
    for page in PAGES:
        assert f"(docs/{page}.md)" in text, page
        assert (ROOT / "docs" / f"{page}.md").is_file(), page


def test_every_relative_link_resolves():
    for document in documents():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (document.parent / target).exists(), f"{document.name}: {target}"


def test_every_path_the_docs_name_exists():
    named = re.compile(
        r"`((?:annotate|newsapp|bench|static|templates|tests|docs)/[\w./-]+)`"
    )
    for document in documents():
        for path in named.findall(document.read_text()):
            assert (ROOT / path).exists(), f"{document.name} names {path}"


def test_a_new_benchmark_report_keeps_the_notes_written_by_hand():
    from bench.report import NOTES_MARKER, with_kept_notes

    page = (ROOT / "docs" / "benchmarks.md").read_text()
    notes = page[page.index(NOTES_MARKER) :]
    assert "## How the benchmarks run" in notes
    assert with_kept_notes("# Benchmarks\n\nnew figures\n", page) == (
        "# Benchmarks\n\nnew figures\n\n" + notes
    )
    assert with_kept_notes("# Benchmarks\n", "") == "# Benchmarks\n"
