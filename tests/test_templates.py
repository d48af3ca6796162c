"""Template source checks for mistakes that show on screen."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_no_template_comment_spans_lines():
    """Django's {# #} comment ends at the line's end: one left open shows its text, and
    its closing #}, to every user (use {% comment %} for several lines)."""
    open_comments = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert open_comments == [], f"{{# without #}} on the same line: {open_comments}"
