"""The entity recommender: a spaCy NER pipeline trained from a blank one for the
project's language on its own labelled spans (no pretrained weights: none can be
downloaded here, and a project's own labels are the point). Predictions carry a
confidence from a beam search over the trained model."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.training import Example as SpacyExample
from spacy.util import filter_spans, minibatch

from annotate.assist.training import Example

BEAM_WIDTH = 8
BATCH_SIZE = 8


def blank_pipeline(language: str, labels: Sequence[str]) -> Language:
    """A blank pipeline for the language (multi-language when spaCy does not know it)
    with an untrained NER component knowing the labels."""
    try:
        nlp = spacy.blank(language or "xx")
    except (ImportError, KeyError, ValueError):
        nlp = spacy.blank("xx")
    ner = nlp.add_pipe("ner")
    for label in labels:
        ner.add_label(label)
    return nlp


def to_spacy(nlp: Language, example: Example) -> SpacyExample:
    """The example as spaCy's: spans snapped inward to token edges, overlaps resolved
    to the longest (the NER component labels each token once)."""
    doc = nlp.make_doc(example.text)
    spans = []
    for start, end, label in example.spans:
        span = doc.char_span(start, end, label=label, alignment_mode="contract")
        if span is not None and len(span):
            spans.append(span)
    reference = nlp.make_doc(example.text)
    reference.ents = [
        reference.char_span(s.start_char, s.end_char, label=s.label_)
        for s in filter_spans(spans)
    ]
    return SpacyExample(doc, reference)


def train(
    examples: Sequence[Example],
    *,
    language: str,
    labels: Sequence[str],
    epochs: int,
    seed: int = 0,
    on_epoch: Callable[[int], None] = lambda epoch: None,
) -> Language:
    """A pipeline trained for `epochs` passes over the examples."""
    random.seed(seed)
    spacy.util.fix_random_seed(seed)
    nlp = blank_pipeline(language, labels)
    data = [to_spacy(nlp, example) for example in examples]
    optimizer = nlp.initialize(lambda: data)
    for epoch in range(epochs):
        random.shuffle(data)
        losses: dict = {}
        for batch in minibatch(data, size=BATCH_SIZE):
            nlp.update(batch, drop=0.2, sgd=optimizer, losses=losses)
        on_epoch(epoch)
    return nlp


def predict(nlp: Language, texts: Sequence[str]) -> list[tuple[list[dict], float]]:
    """Per text: the entities the trained pipeline finds (its greedy decoding, what it
    was trained for) as {"start", "end", "label", "text", "score"}, the score being the
    share of a beam search's probability that holds the entity, and the text's
    uncertainty (1 when some candidate entity is a coin toss, 0 when every candidate
    is sure either way)."""
    ner = nlp.get_pipe("ner")
    docs = list(nlp.pipe(texts))
    beams = ner.beam_parse(
        [nlp.make_doc(text) for text in texts], beam_width=BEAM_WIDTH
    )
    found = []
    for doc, scored in zip(docs, ner.scored_ents(beams), strict=True):
        uncertainty = max(
            (1 - abs(2 * float(score) - 1) for score in scored.values()), default=0.0
        )
        spans = [
            {
                "start": ent.start_char,
                "end": ent.end_char,
                "label": ent.label_,
                "text": ent.text,
                "score": round(
                    float(scored.get((ent.start, ent.end, ent.label_), 0)), 4
                ),
            }
            for ent in doc.ents
        ]
        found.append((spans, round(uncertainty, 4)))
    return found


def load(path: Path) -> Language:
    return spacy.load(path)
