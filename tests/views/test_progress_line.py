"""The annotation screen's progress line: done, taken and the project's size, counted
in one query (annotate.labelling.queue.progress)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.labelling import queue
from annotate.models import Assignment
from tests.conftest import make_document

pytestmark = pytest.mark.django_db


def test_the_progress_line_counts_submitted_and_taken_but_not_skipped(
    annotator_client, project, annotator
):
    documents = [make_document(project, text=f"Text {n}.") for n in range(5)]
    submitted, skipped, opened = (
        Assignment.objects.create(document=document, annotator=annotator)
        for document in documents[:3]
    )
    queue.submit(submitted)
    queue.release(skipped)
    page = reverse("annotate:annotate", args=[project.slug, opened.pk])
    body = annotator_client.get(page).content.decode()
    assert "1 done · 2 taken · 5 in the project" in body
