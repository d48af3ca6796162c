"""The language of an article whose file does not say, as an ISO 639-1 code.

py3langid (a naive Bayes model over byte n-grams, shipped inside the package: nothing is
downloaded) reads the first DETECT_CHARS characters. A detection costs about 0.1 ms
(half of it a fixed cost of the model's scoring), and loading the model about 0.7 s
once per process; on longer prefixes the byte walk, in Python, grows with them. 150
characters found the same language as the whole text on every page of the
article-extraction benchmark (en, pt, ru, de, it, id, ko); 100 left some undecided.
Too little text to tell, or a guess the model is unsure of, gives "": a wrong language
is worse than none.

The model ships LZMA-compressed, and decompressing it was most of an import's start
(1.2-1.5 s, once per process): the first load keeps the plain .npz under
var/cache/, and later processes read that in a few tens of milliseconds.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import tempfile
from functools import cache
from importlib.metadata import version
from itertools import islice
from pathlib import Path

import numpy as np
from django.conf import settings
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from py3langid.modelio import _to_array

DETECT_CHARS = 150
# A headline-sized text has letters enough; a dateline or a table row does not.
MIN_LETTERS = 30
LETTER = re.compile(r"[^\W\d_]")
MIN_CONFIDENCE = 0.5


@cache
def _identifier() -> LanguageIdentifier:
    """Loaded on first use, once per process, from the decompressed copy."""
    try:
        plain = _plain_model()
    except OSError:  # var/ not writable: the package's own (slower) loader
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    with np.load(plain, allow_pickle=False) as data:
        return LanguageIdentifier(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_to_array(data["nextmove_row"]),
        )


def _plain_model() -> Path:
    """The model's .npz, decompressed once per py3langid version (written whole, then
    renamed, so that two processes starting at once never read half a file)."""
    folder = Path(settings.VAR_DIR) / "cache"
    plain = folder / f"py3langid-{version('py3langid')}-model.npz"
    if not plain.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with (
            lzma.open(MODEL_DIR / MODEL_FILE) as source,
            tempfile.NamedTemporaryFile(dir=folder, delete=False) as out,
        ):
            shutil.copyfileobj(source, out, length=1 << 20)
        os.replace(out.name, plain)
    return plain


def detect_language(text: str) -> str:
    sample = text[:DETECT_CHARS]
    if next(islice(LETTER.finditer(sample), MIN_LETTERS - 1, None), None) is None:
        return ""  # fewer letters than MIN_LETTERS
    code, confidence = _identifier().classify(sample)
    # The model also knows languages that have only a three-letter code ("ace", "zxx").
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return ""
    return code
