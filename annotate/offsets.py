"""The one check of a span's offsets against its text, used wherever offsets come in:
readers, the loader, the annotation screen's forms (and the API through them).

Offsets are Python string indices (Unicode code points) everywhere; the browser's
UTF-16 offsets are converted before they get here (static/js/annotate.js).
"""

from __future__ import annotations


def span_problem(
    text: str,
    start: object,
    end: object,
    *,
    snapshot: str | None = None,
    where: str = "",
) -> str | None:
    """Why `start`-`end` cannot point into `text` (or does not cover `snapshot`, when
    given), or None when it can: 0 <= start < end <= len(text). `where` names the
    span in the message (default "span START-END")."""
    where = where or f"span {start}-{end}"
    if not all(type(value) is int for value in (start, end)):
        return f"{where}: offsets must be whole numbers"
    assert isinstance(start, int) and isinstance(end, int)
    if start >= end:
        return f"{where} is empty or reversed"
    if start < 0 or end > len(text):
        return f"{where} is outside the text of {len(text)} characters"
    if snapshot is not None and text[start:end] != snapshot:
        return f"{where} {text[start:end]!r} does not match its text {snapshot!r}"
    return None
