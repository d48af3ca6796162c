"""Predictions on the annotation screen: drawn as suggestions with their model and
confidence above the project's threshold, accepted and dismissed with the suggestion
actions, a stance shown but not saved until confirmed, and each one's fate recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.models import (
    Assignment,
    Label,
    Prediction,
    PredictionOutcome,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document, member

pytestmark = pytest.mark.django_db

TEXT = "🇲🇱 Sergey Lavrov met Assimi Goita in Bamako, AFP reported."
HTMX = {"HX-Request": "true"}


def at(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def span(fragment: str, label: str, score: float) -> dict:
    start, end = at(fragment)
    return {
        "start": start,
        "end": end,
        "label": label,
        "text": fragment,
        "score": score,
    }


@pytest.fixture
def target(project):
    return StanceTarget.objects.create(project=project, name="Russia in Africa")


@pytest.fixture
def assignment(project, annotator, target):
    document = make_document(project, text=TEXT)
    Prediction.objects.create(
        document=document,
        model_name="spacy-news",
        model_version="3",
        spans=[
            span("Sergey Lavrov", "PERSON", 0.87),
            span("Bamako", "GPE", 0.62),
            span("AFP", "ORG", 0.2),  # below the threshold (0.5)
            span("Goita", "NO-SUCH-LABEL", 0.99),
            {"start": 500, "end": 510, "label": "ORG", "score": 0.9},  # outside
        ],
        stances=[
            {"target": target.name, "probabilities": {"against": 0.81, "favor": 0.1}}
        ],
        uncertainty=0.3,
    )
    return Assignment.objects.create(document=document, annotator=annotator)


def url(name: str, assignment: Assignment) -> str:
    return reverse(
        f"annotate:{name}", args=[assignment.document.project.slug, assignment.pk]
    )


def label(project, name, kind=Label.Kind.ENTITY) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


def where(project, fragment, name) -> dict:
    start, end = at(fragment)
    return {"start": start, "end": end, "label": label(project, name).pk}


def test_the_screen_draws_predictions_above_the_threshold_with_model_and_score(
    annotator_client, assignment
):
    page = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "PERSON 0.87" in page and "GPE 0.62" in page
    assert 'title="spacy-news: PERSON 0.87"' in page  # told apart by its source
    assert "ORG 0.20" not in page  # below the project's threshold
    assert "NO-SUCH-LABEL" not in page
    # A stance is offered, not taken.
    assert "Model suggests" in page and "against 0.81" in page
    assert not Stance.objects.exists() and not Span.objects.exists()


def test_lowering_the_threshold_shows_the_less_confident_ones(
    annotator_client, assignment, project
):
    project.prediction_threshold = 0.1
    project.save()
    page = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "ORG 0.20" in page


def test_accepting_and_dismissing_record_the_fates_and_submit_settles_the_rest(
    annotator_client, assignment, project, target
):
    response = annotator_client.post(
        url("suggestion-accept", assignment),
        where(project, "Sergey Lavrov", "PERSON"),
        headers=HTMX,
    )
    assert response.status_code == 200
    spans = list(Span.objects.values_list("text", "origin"))
    assert spans == [("Sergey Lavrov", Span.Origin.SUGGESTED)]
    annotator_client.post(
        url("suggestion-dismiss", assignment),
        where(project, "Bamako", "GPE"),
        headers=HTMX,
    )
    fates = dict(PredictionOutcome.objects.values_list("key", "fate"))
    lavrov, bamako = at("Sergey Lavrov"), at("Bamako")
    assert fates == {
        f"{lavrov[0]}-{lavrov[1]}-PERSON": "accepted",
        f"{bamako[0]}-{bamako[1]}-GPE": "dismissed",
    }
    page = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "GPE 0.62" not in page  # dismissed: drawn no more
    annotator_client.post(url("submit", assignment))
    fates = dict(
        PredictionOutcome.objects.values_list("kind", "fate").filter(kind="stance")
    )
    assert fates == {"stance": "ignored"}  # never confirmed: not saved, ignored
    assert not Stance.objects.exists()
    assert PredictionOutcome.objects.count() == 3  # AFP was never shown
    manager = member(project, "boss", "manager")
    annotator_client.force_login(manager)
    page = annotator_client.get(reverse("annotate:model-server", args=[project.slug]))
    assert "accepted 1 · corrected 0 · dismissed 1 · ignored 1" in page.content.decode()


def test_without_htmx_the_fates_are_recorded_too(annotator_client, assignment, project):
    """A click before htmx took over the form (or no JavaScript): the change comes
    back as a redirect, and its fate must be noted all the same."""
    for action, fragment, name in (
        ("suggestion-accept", "Sergey Lavrov", "PERSON"),
        ("suggestion-dismiss", "Bamako", "GPE"),
    ):
        response = annotator_client.post(
            url(action, assignment), where(project, fragment, name)
        )
        assert response.status_code == 302
    fates = sorted(PredictionOutcome.objects.values_list("fate", flat=True))
    assert fates == ["accepted", "dismissed"]


def test_a_relabelled_prediction_counts_as_corrected(
    annotator_client, assignment, project
):
    annotator_client.post(
        url("span-create", assignment),
        {**where(project, "Sergey Lavrov", "ORG"), "text": "Sergey Lavrov"},
        headers=HTMX,
    )
    annotator_client.post(url("submit", assignment))
    outcome = PredictionOutcome.objects.get(kind="span", key__endswith="PERSON")
    assert outcome.fate == "corrected"


def test_accept_all_takes_the_predicted_ones_too(annotator_client, assignment):
    annotator_client.post(url("suggestions-accept-all", assignment), headers=HTMX)
    assert set(Span.objects.values_list("text", flat=True)) == {
        "Sergey Lavrov",
        "Bamako",
    }
    assert set(PredictionOutcome.objects.values_list("fate", flat=True)) == {"accepted"}


def test_a_confirmed_stance_prediction_is_saved_and_accepted(
    annotator_client, assignment, project, target
):
    against = label(project, "against", Label.Kind.STANCE)
    response = annotator_client.post(
        url("stance-set", assignment),
        {"target": target.pk, "label": against.pk, "seen_label": 0},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert Stance.objects.get().label == against
    assert "Model suggests" not in response.content.decode()
    annotator_client.post(url("submit", assignment))
    assert PredictionOutcome.objects.get(kind="stance").fate == "accepted"


def test_a_blind_project_shows_predictions_but_never_a_peers_spans(
    client, assignment, project
):
    project.blind = True
    project.save()
    peer = member(project, "peer", "annotator")
    theirs = Assignment.objects.create(document=assignment.document, annotator=peer)
    start, end = at("Assimi Goita")
    Span.objects.create(
        assignment=theirs, start=start, end=end, label=label(project, "PERSON"),
        text="Assimi Goita",
    )  # fmt: skip
    client.force_login(assignment.annotator)
    page = client.get(url("annotate", assignment)).content.decode()
    assert "PERSON 0.87" in page
    person = label(project, "PERSON").pk
    assert f'data-suggestion="{start}-{end}-{person}"' not in page
