"""The project's model page for managers: how predictions are shown (threshold), how
the queue is ordered, the external model server (URL, Authorization header), buttons
that queue a prediction run or a training request in the worker, and the log of what
the server did, so a broken server is read about here, never met as a broken screen."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.access import Role, project_access
from annotate.mlbackend.config import labelling_config
from annotate.mlbackend.predict import fetch_predictions, request_training
from annotate.models import (
    ModelServerEvent,
    Prediction,
    PredictionOutcome,
    Project,
)
from annotate.views.htmx import HtmxHttpRequest

LOGGED = 50  # events shown


class ModelSettingsForm(forms.ModelForm):
    auth = forms.CharField(
        required=False,
        max_length=500,
        label="Authorization header",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="e.g. “Token abc…”; left empty, the one set is kept.",
    )
    clear_auth = forms.BooleanField(
        required=False, label="Send no Authorization header"
    )

    class Meta:
        model = Project
        fields = ["prediction_threshold", "queue_order", "model_server_url"]

    def save(self, commit: bool = True) -> Project:
        project = super().save(commit=False)
        if self.cleaned_data["clear_auth"]:
            project.model_server_auth = ""
        elif self.cleaned_data["auth"]:
            project.model_server_auth = self.cleaned_data["auth"]
        if commit:
            project.save()
        return project


@require_http_methods(["GET", "POST"])
def model_server_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    project = access.project
    form = ModelSettingsForm(instance=project)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("predict", "train"):
            if not project.model_server_url:
                messages.error(request, "Set the model server's URL first.")
                return redirect("annotate:model-server", slug=slug)
            work = fetch_predictions if action == "predict" else request_training
            transaction.on_commit(lambda: work.enqueue(project.pk))
            messages.success(
                request,
                "Predictions requested: the log below says how it went."
                if action == "predict"
                else "Training requested from the model server.",
            )
            return redirect("annotate:model-server", slug=slug)
        form = ModelSettingsForm(request.POST, instance=project)
        if form.is_valid():
            form.save()
            messages.success(request, "Model settings saved.")
            return redirect("annotate:model-server", slug=slug)
        status = 400
    context = {
        "access": access,
        "project": project,
        "form": form,
        "events": ModelServerEvent.objects.filter(project=project)[:LOGGED],
        "predicted_documents": Prediction.objects.filter(document__project=project)
        .values("document")
        .distinct()
        .count(),
        "config": labelling_config(project),
        # What annotators did with what the models predicted, by fate.
        "fates": dict(
            PredictionOutcome.objects.filter(prediction__document__project=project)
            .values_list("fate")
            .annotate(n=Count("id"))
            .order_by()
        ),
    }
    return render(request, "annotate/model_server.html", context, status=status)
