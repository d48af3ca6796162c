"""The recommenders trained on a project's labels: a run's scores, model file and
predictions; the held-out slice never trained on; retraining after N accepted
documents; a run that cannot train says why."""

from __future__ import annotations

import zipfile

import pytest
import spacy
from django.utils import timezone

from annotate.assist import entities, runs, stance, tasks
from annotate.assist.training import HELDOUT_BUCKETS, is_heldout
from annotate.models import Assignment, Label, Membership, ModelRun, Prediction, Stance
from annotate.review import decisions
from tests.assist.world import label_project, sentence
from tests.conftest import make_document, member


@pytest.fixture(autouse=True)
def quick_training(settings, tmp_path):
    """A few passes over the data: the tests check the plumbing, not the accuracy."""
    settings.ASSIST_EPOCHS = 3
    settings.VAR_DIR = tmp_path


def train(project, django_capture_on_commit_callbacks, **kwargs) -> list[ModelRun]:
    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.start_training(project, **kwargs)
    return [ModelRun.objects.get(pk=run.pk) for run in queued]


def test_a_run_keeps_its_scores_model_and_predictions(
    project, django_capture_on_commit_callbacks
):
    world = label_project(project, labelled=40, unlabelled=6)
    found = train(project, django_capture_on_commit_callbacks)
    assert {run.kind for run in found} == {"entities", "stance"}
    for run in found:
        assert run.status == ModelRun.Status.DONE, run.error
        heldout = [d for d in world["labelled"] if is_heldout(d.pk)]
        assert run.heldout_documents == len(heldout) > 0
        assert run.training_documents == 40 - len(heldout)
        assert run.duration > 0 and run.finished_at and run.version
        # Every label of the held-out gold is scored (which documents are held out
        # goes by their ids, so it may be one stance only).
        assert set(run.metrics["labels"]) >= (
            {"PERSON", "GPE"}
            if run.kind == "entities"
            else {sentence(world["labelled"].index(d))[2] for d in heldout}
        )
        assert 0 <= run.headline_f1 <= 1
        assert run.predicted_documents == 6
        predictions = Prediction.objects.filter(
            model_name=f"newsapp-{run.kind}", model_version=str(run.pk)
        )
        assert {p.document_id for p in predictions} == {
            d.pk for d in world["unlabelled"]
        }
        assert all(p.uncertainty is not None for p in predictions)
    entity_run = next(run for run in found if run.kind == "entities")
    prediction = Prediction.objects.filter(model_version=str(entity_run.pk)).first()
    for span in prediction.spans:
        assert prediction.document.text[span["start"] : span["end"]] == span["text"]
        assert 0 <= span["score"] <= 1
    stance_run = next(run for run in found if run.kind == "stance")
    stances = Prediction.objects.filter(model_version=str(stance_run.pk)).first()
    assert stances.stances[0]["target"] == "the talks"
    assert sum(stances.stances[0]["probabilities"].values()) == pytest.approx(1, 0.01)
    # The downloadable pipeline is a spaCy model folder that loads and labels text.
    with zipfile.ZipFile(runs.archive_path(entity_run)) as archive:
        assert "meta.json" in archive.namelist()
    nlp = spacy.load(runs.model_folder(entity_run))
    assert nlp.pipe_names == ["ner"]


def test_a_second_run_replaces_the_first_runs_predictions(
    project, django_capture_on_commit_callbacks
):
    label_project(project, labelled=20, unlabelled=3)
    first = train(project, django_capture_on_commit_callbacks, kinds=["entities"])[0]
    second = train(project, django_capture_on_commit_callbacks, kinds=["entities"])[0]
    assert ModelRun.objects.serving(project, "entities") == second
    versions = set(
        Prediction.objects.filter(model_name="newsapp-entities").values_list(
            "model_version", flat=True
        )
    )
    assert versions == {str(second.pk)} and first.status == "done"


def test_the_heldout_documents_are_never_trained_on(
    project, django_capture_on_commit_callbacks, monkeypatch
):
    world = label_project(project, labelled=30, unlabelled=0)
    # An accepted version of a held-out document must not teach either.
    heldout = next(d for d in world["labelled"] if is_heldout(d.pk))
    Assignment.objects.create(
        document=heldout,
        annotator=member(project, "someone", Membership.Role.ANNOTATOR),
        status=Assignment.Status.SUBMITTED,
        review_state=Assignment.ReviewState.ACCEPTED,
        submitted_at=timezone.now(),
    )
    taught: dict[str, set[int]] = {}
    real_entities, real_stance = entities.train, stance.train

    def spy_entities(examples, **kwargs):
        taught["entities"] = {e.document_id for e in examples}
        return real_entities(examples, **kwargs)

    def spy_stance(examples, **kwargs):
        taught["stance"] = {e.document_id for e in examples}
        return real_stance(examples, **kwargs)

    monkeypatch.setattr(entities, "train", spy_entities)
    monkeypatch.setattr(stance, "train", spy_stance)
    found = train(project, django_capture_on_commit_callbacks)
    held = {d.pk for d in world["labelled"] if is_heldout(d.pk)}
    assert held and all(run.heldout_documents == len(held) for run in found)
    for kind in ("entities", "stance"):
        assert taught[kind] and not taught[kind] & held
        assert taught[kind] | held == {d.pk for d in world["labelled"]}


def test_the_heldout_slice_is_fixed_and_about_a_fifth():
    chosen = [pk for pk in range(1, 5001) if is_heldout(pk)]
    assert chosen == [pk for pk in range(1, 5001) if is_heldout(pk)]
    assert abs(len(chosen) / 5000 - 1 / HELDOUT_BUCKETS) < 0.02


def test_a_project_with_nothing_accepted_fails_saying_why(
    project, django_capture_on_commit_callbacks
):
    make_document(project)
    (run,) = train(project, django_capture_on_commit_callbacks, kinds=["entities"])
    assert run.status == ModelRun.Status.FAILED
    assert "no gold or accepted documents" in run.error
    assert not Prediction.objects.exists()


def test_stance_with_one_label_fails_saying_why(
    project, django_capture_on_commit_callbacks
):
    label_project(project, labelled=10, unlabelled=0)
    Stance.objects.update(label=Label.objects.get(project=project, name="favor"))
    (run,) = train(project, django_capture_on_commit_callbacks, kinds=["stance"])
    assert run.status == ModelRun.Status.FAILED
    assert "at least two different labels" in run.error


def test_a_run_is_queued_after_every_n_accepted_documents(
    project, reviewer, django_capture_on_commit_callbacks
):
    project.retrain_every = 3
    project.save()
    annotator = member(project, "ann2", Membership.Role.ANNOTATOR)
    versions = []
    for n in range(4):
        document = make_document(project, text=f"Anna Ivanova spoke on day {n}.")
        versions.append(
            Assignment.objects.create(
                document=document,
                annotator=annotator,
                status=Assignment.Status.SUBMITTED,
                submitted_at=timezone.now(),
            )
        )
    with django_capture_on_commit_callbacks(execute=True):
        decisions.accept(versions[0], reviewer=reviewer)
        decisions.accept(versions[1], reviewer=reviewer)
    assert not ModelRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.accept(versions[2], reviewer=reviewer)
    first = set(ModelRun.objects.values_list("trigger", "accepted_documents"))
    assert first == {("accepted", 3)}
    with django_capture_on_commit_callbacks(execute=True):
        decisions.accept(versions[3], reviewer=reviewer)
    assert set(ModelRun.objects.values_list("trigger", "accepted_documents")) == first
