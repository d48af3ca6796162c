"""Predictions leave in an export only when asked (--predictions), beside the labels,
never as labels; a shape whose lines do not name their document refuses the flag."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Prediction

pytestmark = pytest.mark.django_db


@pytest.fixture
def predicted(annotated):
    document = annotated.documents.get(title="Lavrov")
    Prediction.objects.create(
        document=document,
        model_name="ner",
        model_version="2",
        spans=[{"start": 0, "end": 4, "label": "ORG", "text": "x", "score": 0.4}],
        uncertainty=0.6,
    )
    return annotated


def export(project, *args: str) -> list[dict]:
    out = StringIO()
    call_command(
        "export_annotations", "--project", project.slug, "--format", "spans",
        "--all", *args, stdout=out, stderr=StringIO(),
    )  # fmt: skip
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_without_the_flag_no_prediction_leaves(predicted):
    lines = export(predicted)
    assert lines and all("predictions" not in line for line in lines)
    assert all(
        s["label"] != "ORG" or s["start"] != 0 for ln in lines for s in ln["spans"]
    )


def test_with_the_flag_each_line_carries_its_documents_predictions(predicted, tmp_path):
    lines = export(predicted, "--predictions")
    lavrov = [line for line in lines if line["predictions"]]
    assert lavrov
    [prediction] = lavrov[0]["predictions"]
    assert prediction["model_name"] == "ner" and prediction["uncertainty"] == 0.6
    # Never among the labels.
    assert all(
        (s["start"], s["label"]) != (0, "ORG") for line in lines for s in line["spans"]
    )
    path = tmp_path / "out.jsonl"
    call_command(
        "export_annotations", "--project", predicted.slug, "--format", "spans",
        "--all", "--predictions", "-o", str(path), stdout=StringIO(),
    )  # fmt: skip
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert any(line["predictions"] for line in written)


def test_a_shape_without_document_ids_refuses_the_flag(predicted):
    with pytest.raises(CommandError, match="--predictions needs lines that name"):
        call_command(
            "export_annotations", "--project", predicted.slug, "--format",
            "doccano", "--all", "--predictions", stdout=StringIO(),
        )  # fmt: skip
