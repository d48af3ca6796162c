"""The language of an article whose file does not say, as an ISO 639-1 code.

py3langid (a naive Bayes model over byte n-grams, shipped inside the package: nothing is
downloaded) reads the first DETECT_CHARS characters; it walks them byte by byte in
Python, so the prefix is what a detection costs (bench/import_speed.py --no-language
measures it). Too little text to tell, or a guess it is unsure of, gives "": a wrong
language is worse than none.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

DETECT_CHARS = 1000
# A headline-sized text has letters enough; a dateline or a table row does not.
MIN_LETTERS = 30
MIN_CONFIDENCE = 0.5


@cache
def _identifier() -> LanguageIdentifier:
    """Loaded on first use, once per process (about a second)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    sample = text[:DETECT_CHARS]
    if sum(char.isalpha() for char in sample) < MIN_LETTERS:
        return ""
    code, confidence = _identifier().classify(sample)
    # The model also knows languages that have only a three-letter code ("ace", "zxx").
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return ""
    return code
