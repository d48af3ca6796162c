"""The language of an article whose file does not say, as an ISO 639-1 code.

py3langid (a naive Bayes model over byte n-grams, shipped inside the package: nothing is
downloaded) reads the first DETECT_CHARS characters. A detection costs about 0.1 ms
(half of it a fixed cost of the model's scoring), and loading the model about 0.7 s
once per process; on longer prefixes the byte walk, in Python, grows with them. 150
characters found the same language as the whole text on every page of the
article-extraction benchmark (en, pt, ru, de, it, id, ko); 100 left some undecided.
Too little text to tell, or a guess the model is unsure of, gives "": a wrong language
is worse than none.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice

from py3langid.langid import MODEL_FILE, LanguageIdentifier

DETECT_CHARS = 150
# A headline-sized text has letters enough; a dateline or a table row does not.
MIN_LETTERS = 30
LETTER = re.compile(r"[^\W\d_]")
MIN_CONFIDENCE = 0.5


@cache
def _identifier() -> LanguageIdentifier:
    """Loaded on first use, once per process (about a second)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    sample = text[:DETECT_CHARS]
    if next(islice(LETTER.finditer(sample), MIN_LETTERS - 1, None), None) is None:
        return ""  # fewer letters than MIN_LETTERS
    code, confidence = _identifier().classify(sample)
    # The model also knows languages that have only a three-letter code ("ace", "zxx").
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return ""
    return code
