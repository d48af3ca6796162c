"""The life of a ModelRun once queued (annotate.assist.tasks queues it): running in the
task worker (training, scoring on the held-out
gold, saving the pipeline, refreshing the unlabelled documents' predictions in chunks),
then done or failed with its reason.

Nothing is half-written: the pipeline is saved under a temporary name and renamed, and a
run's predictions serve only once it is done (ModelRun.objects.serving); a run whose
worker died (no heartbeat for settings.ASSIST_STALE_SECONDS) is marked failed by
reap_stale, which also removes its partial predictions and files, so the previous model
keeps serving."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from annotate.assist.training import (
    active_label_names,
    heldout_examples,
    project_language,
    scores,
    training_examples,
    unlabelled_documents,
)
from annotate.models import Label, ModelRun, Prediction, Project

logger = logging.getLogger(__name__)
BEAT_EVERY = 5.0  # seconds between heartbeats while training


def models_folder(project_id: int) -> Path:
    return Path(settings.VAR_DIR) / "models" / str(project_id)


def model_folder(run: ModelRun) -> Path:
    return models_folder(run.project_id) / str(run.pk)


def archive_path(run: ModelRun) -> Path:
    """The zipped pipeline managers download."""
    return models_folder(run.project_id) / f"{run.pk}.zip"


def trainable_kinds(project: Project) -> list[str]:
    """The recommenders the project's labels call for."""
    kinds = []
    labels = Label.objects.filter(project=project, retired=False)
    if labels.filter(kind=Label.Kind.ENTITY).exists():
        kinds.append(ModelRun.Kind.ENTITIES)
    if (
        labels.filter(kind=Label.Kind.STANCE).exists()
        and project.stance_targets.exists()
    ):
        kinds.append(ModelRun.Kind.STANCE)
    return kinds


def reap_stale(seconds: int | None = None) -> int:
    """Mark failed the running runs whose worker stopped beating (killed, or the
    machine went down), removing their partial predictions and files; returns how
    many."""
    seconds = settings.ASSIST_STALE_SECONDS if seconds is None else seconds
    reaped = 0
    for run in ModelRun.objects.stale(seconds):
        last = timezone.localtime(run.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        if _fail(
            run,
            f"the task worker stopped during the run (no sign of life since {last}); "
            "the previous model still serves",
        ):
            reaped += 1
    return reaped


def _fail(run: ModelRun, reason: str) -> bool:
    changed = ModelRun.objects.filter(pk=run.pk, status=ModelRun.Status.RUNNING).update(
        status=ModelRun.Status.FAILED, error=reason, finished_at=timezone.now()
    )
    _discard(run)
    return bool(changed)


def _discard(run: ModelRun) -> None:
    """Remove what an unfinished run wrote: its predictions and its files."""
    Prediction.objects.filter(
        document__project_id=run.project_id,
        model_name=run.model_name,
        model_version=str(run.pk),
    ).delete()
    shutil.rmtree(model_folder(run), ignore_errors=True)
    archive_path(run).unlink(missing_ok=True)
    for partial in models_folder(run.project_id).glob(f"{run.pk}.partial*"):
        shutil.rmtree(
            partial, ignore_errors=True
        ) if partial.is_dir() else partial.unlink()


class Heartbeat:
    """Records that the run is alive, at most every BEAT_EVERY seconds."""

    def __init__(self, run: ModelRun):
        self.run, self.last = run, 0.0

    def __call__(self, *_args) -> None:
        if time.monotonic() - self.last >= BEAT_EVERY:
            ModelRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
            self.last = time.monotonic()


def execute(run_id: int) -> None:
    """The task's work: train, score, save, predict; the run ends done or failed."""
    reap_stale()
    now = timezone.now()
    claimed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.QUEUED).update(
        status=ModelRun.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return
    run = ModelRun.objects.select_related("project").get(pk=run_id)
    try:
        _train_and_predict(run)
    except ValueError as error:  # what the data lacks, said plainly
        _fail(run, str(error))
    except Exception as error:
        logger.exception("model run %s failed", run.pk)
        _fail(run, f"training stopped by an internal error ({type(error).__name__})")


def _train_and_predict(run: ModelRun) -> None:
    # spaCy and scikit-learn take over a second to import: only a run needs them, so
    # web processes, commands and the worker start without them.
    from annotate.assist import entities, stance

    project, beat = run.project, Heartbeat(run)
    examples, heldout = training_examples(project), heldout_examples(project)
    if not examples:
        raise ValueError(
            "nothing to train on: the project has no gold or accepted documents "
            "outside the held-out slice"
        )
    started = time.monotonic()
    if run.kind == ModelRun.Kind.ENTITIES:
        labels = active_label_names(project, Label.Kind.ENTITY)
        labels += sorted({s[2] for e in examples for s in e.spans} - set(labels))
        model = entities.train(
            examples,
            language=project_language(project, examples),
            labels=labels,
            epochs=settings.ASSIST_EPOCHS,
            on_epoch=beat,
        )
        version = f"spaCy {entities.spacy.__version__}"
    else:
        model = stance.train(examples, on_step=beat)
        version = stance.VERSION
    duration = time.monotonic() - started
    metrics = evaluate(run.kind, model, heldout)
    path = _save(run, model)
    ModelRun.objects.filter(pk=run.pk).update(
        training_documents=len(examples),
        heldout_documents=len(heldout),
        duration=round(duration, 3),
        metrics=metrics,
        model_path=str(path),
        version=version,
        heartbeat_at=timezone.now(),
    )
    predicted = refresh_predictions(run, model, beat=beat)
    done = ModelRun.objects.filter(pk=run.pk, status=ModelRun.Status.RUNNING).update(
        status=ModelRun.Status.DONE,
        finished_at=timezone.now(),
        predicted_documents=predicted,
    )
    if not done:  # reaped meanwhile: it is failed, and nothing of it may serve
        _discard(run)
        return
    Prediction.objects.filter(
        document__project=project, model_name=run.model_name
    ).exclude(model_version=str(run.pk)).delete()


def evaluate(kind: str, model, heldout) -> dict:
    """Per-label precision, recall and F1 on the held-out gold."""
    from annotate.assist import entities, stance

    if kind == ModelRun.Kind.ENTITIES:
        gold = {(e.document_id, *span) for e in heldout for span in e.spans}
        found = entities.predict(model, [e.text for e in heldout]) if heldout else []
        predicted = {
            (e.document_id, s["start"], s["end"], s["label"])
            for e, (spans, _) in zip(heldout, found, strict=True)
            for s in spans
        }
        return scores(gold, predicted)
    texts, targets, labels = stance.pairs(heldout)
    ids = [e.document_id for e in heldout for _ in e.stances]
    probabilities = model.probabilities(texts, targets)
    gold = set(zip(ids, targets, labels, strict=True))
    predicted = {
        (pk, target, max(p, key=p.get))
        for pk, target, p in zip(ids, targets, probabilities, strict=True)
    }
    return scores(gold, predicted)


def _save(run: ModelRun, model) -> Path:
    """Write the pipeline to a temporary folder, zip it, and rename both into place."""
    final = model_folder(run)
    partial = final.with_name(f"{run.pk}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if run.kind == ModelRun.Kind.ENTITIES:
        model.to_disk(partial)
    else:
        model.save(partial)
    archive = shutil.make_archive(str(partial), "zip", root_dir=partial)
    os.replace(archive, archive_path(run))
    os.replace(partial, final)
    return final


def refresh_predictions(run: ModelRun, model, *, beat) -> int:
    """Predict every unlabelled document in chunks, stored under the run's version;
    returns how many documents were predicted."""
    from annotate.assist import entities

    project, count = run.project, 0
    targets = list(
        project.stance_targets.filter(retired=False)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )
    for rows in unlabelled_documents(project, chunk=settings.ASSIST_PREDICT_CHUNK):
        texts = [text for _, text in rows]
        if run.kind == ModelRun.Kind.ENTITIES:
            fields = [
                {"spans": spans, "uncertainty": uncertainty}
                for spans, uncertainty in entities.predict(model, texts)
            ]
        else:
            fields = _stance_fields(model, texts, targets)
        Prediction.objects.bulk_create(
            [
                Prediction(
                    document_id=pk,
                    model_name=run.model_name,
                    model_version=str(run.pk),
                    **values,
                )
                for (pk, _), values in zip(rows, fields, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["document", "model_name", "model_version"],
            update_fields=["spans", "stances", "uncertainty"],
        )
        count += len(rows)
        beat()
    return count


def _stance_fields(model, texts: list[str], targets: list[str]) -> list[dict]:
    if not targets:
        return [{"stances": [], "uncertainty": None} for _ in texts]
    flat = model.probabilities(
        [t for t in texts for _ in targets], [g for _ in texts for g in targets]
    )
    fields = []
    for i in range(len(texts)):
        row = flat[i * len(targets) : (i + 1) * len(targets)]
        stances = [
            {"target": target, "probabilities": p}
            for target, p in zip(targets, row, strict=True)
        ]
        doubt = sum(1 - max(p.values()) for p in row) / len(row)
        fields.append({"stances": stances, "uncertainty": round(doubt, 4)})
    return fields
