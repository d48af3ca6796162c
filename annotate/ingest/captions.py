"""What a photo's caption or credit looks like, for the page-dump cleaner (which leaves
captions out of the article) and the readers (which never take one for a title).

Plain patterns, no imports: the cleaner and the readers both use them, and neither
should have to import the other.
"""

from __future__ import annotations

import re

# A credit names someone: "(AFP).", not a reference "(10, 11)." or a year.
CREDIT_SUFFIX = re.compile(r"\((?=[^)]*[^\W\d_])[\w .,&'-]{2,40}\)\.?$")
# A credit line on its own: "Jane Doe/Agency/Getty Images".
PHOTO_CREDIT = re.compile(r"^[A-Z][\w.&' -]{1,40}(?:/[A-Z][\w.&' -]{1,40}){1,3}$")
# A line that says it is about the picture: "Photo: ...", "(Image: ...)", "FILE PHOTO: ...".
PHOTO_LABEL = re.compile(
    r"^[(\[]?\s*(?:file\s+)?(?:photo(?:graph)?s?|image|picture|pictured|credit|foto|caption)"
    r"(?:\s+credit)?\s*[:|]",
    re.I,
)
# A note about the picture inside the line: "(Photo: Reuters)", "(Photo by Jane Doe/AP)".
PHOTO_NOTE = re.compile(
    r"[(\[]\s*(?:AP\s+)?(?:photo(?:graph)?|image|picture|credit|foto)(?:\s+credit)?"
    r"\s*(?::|by\b|/)[^)\]]*[)\]]",
    re.I,
)
# A line that ends in a photographer's or a picture agency's credit: "... AFP/Getty",
# "... REUTERS/Evgenia Novozhenina", "... via Getty Images".
CREDIT_END = re.compile(
    r"(?:\b[A-Z][\w.&'-]*(?:\s[A-Z][\w.&'-]*){0,3}/[A-Z][\w.&'-]*(?:\s[A-Z][\w.&'-]*){0,3}"
    r"|\b(?:Getty\s+Images|Shutterstock|Alamy|iStock(?:photo)?))\)?\.?$"
)
CAPTION_MAX_CHARS = 300
# A line ending in "(Name)" is a caption only when it is short, as a photo's line is.
CREDITED_MAX_CHARS = 200
CREDITED_MIN_WORDS = 4


def is_caption(line: str) -> bool:
    """Whether a line (a paragraph) reads as a photo's caption or credit rather than as
    the article's headline or text."""
    line = line.strip()
    if not line or len(line) > CAPTION_MAX_CHARS:
        return False
    if PHOTO_LABEL.match(line) or PHOTO_NOTE.search(line) or CREDIT_END.search(line):
        return True
    return (
        len(line) <= CREDITED_MAX_CHARS
        and len(line.split()) >= CREDITED_MIN_WORDS
        and bool(CREDIT_SUFFIX.search(line))
    )
