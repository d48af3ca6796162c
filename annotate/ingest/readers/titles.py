"""A title for an article whose file gives none: the first sentence of its text.

A title is the document's own headline when its reader found one (a `title` field, the
page's <title>, the headline above a page dump's byline). Otherwise it is the first
sentence of the text, trimmed at a word boundary to TITLE_MAX_CHARS with "…". Lines the
text starts with that read as a photo's caption or credit are not the title: they are
kept in meta["captions"] (a page dump's cleaner has already taken them out of the text;
the other formats keep their text as given).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from annotate.ingest.captions import is_caption

TITLE_MAX_CHARS = 120
ELLIPSIS = "…"
# A sentence ends at . ! ? … (or a CJK stop), after any closing quote or bracket, before
# a space or the end of the line.
SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*(?=\s|$)|[。！？][」』”]?)")
# Words a full stop follows without ending a sentence: titles, initials ("U.S.").
ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "gen", "col", "lt", "sgt",
     "capt", "maj", "rep", "sen", "gov", "pres", "rev", "hon", "inc", "ltd", "co",
     "corp", "no", "nos", "vs", "etc", "approx", "dept", "est", "fig", "mt", "jan",
     "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)  # fmt: skip
WORD_BEFORE = re.compile(r"([\w.]+)$")
WORD_WINDOW = 30
INITIALS = re.compile(r"^(?:[^\W\d_]\.)*[^\W\d_]$")
# Characters a title that was cut does not end on before its ellipsis.
CUT_TRAILING = " ,;:-–—(\"'“‘«"


def title_from_text(text: str) -> tuple[str, list[str]]:
    """The title the text's first sentence gives, and the caption lines it starts with
    (passed over)."""
    captions = []
    for line in _lines(text):
        if not is_caption(line):
            return shortened(first_sentence(line)), captions
        captions.append(line)
    # Nothing but captions: the first is the best title there is.
    return (shortened(first_sentence(captions[0])) if captions else ""), captions


def _lines(text: str) -> Iterator[str]:
    """The text's lines that are not blank, spaces collapsed, read only as far as asked
    (an article's first line is all a title needs)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if line := " ".join(text[start:end].split()):
            yield line
        start = end + 1


def first_sentence(line: str) -> str:
    for match in SENTENCE_END.finditer(line):
        # The word before the stop; a window, as a search anchored at its end would scan
        # the whole line.
        before = WORD_BEFORE.search(
            line, max(0, match.start() - WORD_WINDOW), match.start()
        )
        word = before.group(1).casefold() if before else ""
        if match.group().startswith(".") and _abbreviated(word):
            continue
        return line[: match.end()].strip()
    return line.strip()


def _abbreviated(word: str) -> bool:
    """ "Dr", "J", "U.S": a full stop after it is not the end of a sentence."""
    return word in ABBREVIATIONS or bool(INITIALS.match(word))


def shortened(sentence: str) -> str:
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    room = TITLE_MAX_CHARS - len(ELLIPSIS)
    # At the last space that leaves room for the ellipsis (one word too long: cut it).
    head = sentence[: room + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else sentence[:room]
    return cut.rstrip(CUT_TRAILING) + ELLIPSIS
