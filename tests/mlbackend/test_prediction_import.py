"""A prediction import whose spans do not fit the text is refused with an error that
names the file, the record and the span; the records that fit are read."""

from __future__ import annotations

import json

from annotate.ingest.readers import read_paths
from annotate.ingest.records import DocumentRecord, Rejection

TEXT = "Sergey Lavrov arrived in Bamako."


def task(start: int, end: int, text: str) -> dict:
    region = {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": ["PERSON"]},
        "score": 0.9,
    }
    return {
        "data": {"text": TEXT},
        "predictions": [{"model_version": "ner-1", "result": [region]}],
    }


def test_a_label_studio_prediction_outside_the_text_is_refused_clearly(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([task(0, 13, "Sergey Lavrov"), task(25, 99, "Bamako")]))
    items = list(read_paths([path], format="labelstudio"))
    documents = [item for item in items if isinstance(item, DocumentRecord)]
    [rejection] = [item for item in items if isinstance(item, Rejection)]
    assert len(documents) == 1
    assert documents[0].meta["predictions"][0]["spans"] == [[0, 13, "PERSON"]]
    assert rejection.origin.startswith(f"{path}:")
    assert "25" in rejection.reason and "99" in rejection.reason
    assert "Traceback" not in str(rejection)
    again = _one(tmp_path, task(0, 6, "Lavrov"))
    [wrong_text] = list(read_paths([again], format="labelstudio"))
    assert isinstance(wrong_text, Rejection)
    assert "'Lavrov'" in wrong_text.reason and "'Sergey'" in wrong_text.reason


def _one(tmp_path, item: dict):
    path = tmp_path / "one.json"
    path.write_text(json.dumps([item]))
    return path
