"""Predictions in an export, only when asked (`export_annotations --predictions`): each
line gains "predictions", every model version's spans and stances for its document,
kept apart from the annotations, which they never are. Looked up per batch of lines."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import batched
from typing import Any

from annotate.models import Prediction

# The shapes whose lines name their document (by "id"), so predictions can join them.
WITH_DOCUMENT_ID = ("documents", "spans", "bio", "full")
BATCH = 500


def with_predictions(lines: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for batch in batched(lines, BATCH):
        ids = {int(line["id"]) for line in batch if "id" in line}
        found: dict[int, list[dict]] = {}
        rows = (
            Prediction.objects.filter(document_id__in=ids)
            .order_by("document_id", "model_name", "-created_at", "-id")
            .values(
                "document_id", "model_name", "model_version", "spans", "stances",
                "uncertainty",
            )
        )  # fmt: skip
        for row in rows:
            found.setdefault(row.pop("document_id"), []).append(row)
        for line in batch:
            if "id" in line:
                line["predictions"] = found.get(int(line["id"]), [])
            yield line
