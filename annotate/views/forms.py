"""Every input of the annotation and project screens, checked against what it targets."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from annotate.labelling.linking import entities_for
from annotate.models import (
    Assignment,
    Entity,
    Label,
    Membership,
    Project,
    StanceTarget,
)
from annotate.offsets import span_problem


class AssignmentForm(forms.Form):
    """Base of every change to an assignment: knows the assignment, so offsets and
    labels are checked against it. Every change carries the version the screen showed
    and, where it changes one thing, the label the screen showed it with, so a change
    from an out-of-date tab can be told apart (see annotate.labelling.changes)."""

    version = forms.IntegerField(min_value=0, required=False)
    seen_label = forms.IntegerField(min_value=0, required=False)

    def __init__(self, *args, assignment: Assignment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.text = assignment.document.text

    @property
    def shown_version(self) -> int | None:
        return self.cleaned_data.get("version")

    @property
    def shown_label(self) -> int | None:
        return self.cleaned_data.get("seen_label")

    def kept_when_absent(self, field: str) -> str | None:
        """A text field left out of the request keeps what was stored (None); sent
        empty, it clears it."""
        return self.cleaned_data[field] if field in self.data else None

    def label_of_kind(self, kind: str, field: str = "label") -> Label:
        wanted = self.cleaned_data.get(field)
        labels = self.assignment.document.project.label_list
        label = next((x for x in labels if x.pk == wanted and x.kind == kind), None)
        if label is None:
            raise forms.ValidationError(
                f"No {kind} label with that id in this project."
            )
        return label

    def check_range(
        self, start: int | None, end: int | None, text: str | None, what: str
    ) -> None:
        if start is None or end is None:
            return
        where = f"The {what} {start}-{end}"
        if problem := span_problem(self.text, start, end, snapshot=text, where=where):
            raise forms.ValidationError(problem + ".")


class SpanForm(AssignmentForm):
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    text = forms.CharField(strip=False)
    label = forms.IntegerField()

    def clean_label(self) -> Label:
        return self.label_of_kind(Label.Kind.ENTITY)

    def clean(self) -> dict:
        data = super().clean()
        self.check_range(
            data.get("start"), data.get("end"), data.get("text"), "selection"
        )
        return data


class ChangeForm(AssignmentForm):
    """A change with no input of its own (undo, delete, accept all): just the version
    and the label the screen showed."""


class SpanLabelForm(AssignmentForm):
    label = forms.IntegerField()

    def clean_label(self) -> Label:
        return self.label_of_kind(Label.Kind.ENTITY)


class EvidenceForm(AssignmentForm):
    """The evidence sent with a stance or a rating: a selection's offsets (or a cited
    source's mention), `clear_evidence` to remove it, or nothing, which keeps what is
    stored. The screen sends offsets only for the one change a selection was made
    for (annotate.js), so nothing here carries over from one change to the next."""

    evidence_start = forms.IntegerField(min_value=0, required=False)
    evidence_end = forms.IntegerField(min_value=1, required=False)
    clear_evidence = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("evidence_start"), data.get("evidence_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both ends of the evidence, or neither.")
        if data.get("clear_evidence") and start is not None:
            raise forms.ValidationError(
                "Either clear the evidence or give a new one, not both."
            )
        self.check_range(start, end, None, "evidence")
        return data

    def evidence(self) -> dict | None:
        """The evidence given with this request (empty values to clear it), or None
        to keep the stored one."""
        if self.cleaned_data.get("clear_evidence"):
            return {"evidence_start": None, "evidence_end": None, "evidence_text": ""}
        start, end = (
            self.cleaned_data.get("evidence_start"),
            self.cleaned_data.get("evidence_end"),
        )
        if start is None:
            return None
        return {
            "evidence_start": start,
            "evidence_end": end,
            "evidence_text": self.text[start:end],
        }


class StanceForm(EvidenceForm):
    target = forms.IntegerField()
    label = forms.IntegerField()
    note = forms.CharField(required=False, max_length=2000)

    def clean_label(self) -> Label:
        return self.label_of_kind(Label.Kind.STANCE)

    def clean_note(self) -> str | None:
        return self.kept_when_absent("note")

    def clean_target(self) -> StanceTarget:
        target = StanceTarget.objects.filter(
            project_id=self.assignment.document.project_id,
            pk=self.cleaned_data["target"],
        ).first()
        if target is None:
            raise forms.ValidationError("No such stance target in this project.")
        return target


class RatingForm(EvidenceForm):
    source = forms.CharField(max_length=300)
    role = forms.ChoiceField(choices=[("publisher", "publisher"), ("cited", "cited")])
    label = forms.IntegerField()
    rationale = forms.CharField(required=False, max_length=2000)

    def clean_label(self) -> Label:
        return self.label_of_kind(Label.Kind.RELIABILITY)

    def clean_rationale(self) -> str | None:
        return self.kept_when_absent("rationale")

    def clean_source(self) -> str:
        name = self.cleaned_data["source"].strip()
        if not name:
            raise forms.ValidationError("Name the source.")
        return name


class SuggestionForm(AssignmentForm):
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    label = forms.IntegerField()

    def clean_label(self) -> Label:
        return self.label_of_kind(Label.Kind.ENTITY)

    def clean(self) -> dict:
        data = super().clean()
        self.check_range(data.get("start"), data.get("end"), None, "suggestion")
        return data


class LinkForm(AssignmentForm):
    """Link a span to an entity of the project, or to a new one named here."""

    entity = forms.IntegerField(required=False)
    new_name = forms.CharField(required=False, max_length=300)

    def clean_entity(self) -> Entity | None:
        pk = self.cleaned_data.get("entity")
        if pk is None:
            return None
        # In a blind project, not one a peer made from their span here (see linking).
        entity = entities_for(self.assignment).filter(pk=pk).first()
        if entity is None:
            raise forms.ValidationError("No such entity in this project.")
        return entity

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and data.get("entity") is None and not data.get("new_name"):
            raise forms.ValidationError("Choose an entity, or name a new one.")
        return data


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "guidelines", "overlap", "blind"]
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 8})}


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices)

    def clean_username(self):
        user = (
            get_user_model()
            .objects.filter(
                username=self.cleaned_data["username"].strip(), is_active=True
            )
            .first()
        )
        if user is None:
            raise forms.ValidationError(
                "No active user with that username; create the account in the admin first."
            )
        return user


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["kind", "name", "colour", "shortcut", "value", "description"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Label.Kind.RELIABILITY and data.get("value") is None:
            self.add_error("value", "A reliability grade needs its ordinal value.")
        # The project is not a form field, so its unique constraints are checked here.
        same_kind = Label.objects.filter(
            project=self.instance.project, kind=data.get("kind")
        ).exclude(pk=self.instance.pk)
        if same_kind.filter(name__iexact=data.get("name", "")).exists():
            self.add_error(
                "name", "This project already has a label of that kind with that name."
            )
        if (
            data.get("shortcut")
            and same_kind.filter(shortcut=data["shortcut"]).exists()
        ):
            self.add_error(
                "shortcut", "Another label of that kind already uses this key."
            )
        return data


class StanceTargetForm(forms.ModelForm):
    class Meta:
        model = StanceTarget
        fields = ["name", "description"]

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if StanceTarget.objects.filter(
            project=self.instance.project, name__iexact=name
        ).exists():
            raise forms.ValidationError("This project already has that stance target.")
        return name


class NextForm(forms.Form):
    """`next`'s query: the assignment being left (Next on the annotation screen), which
    is not handed back."""

    after = forms.IntegerField(min_value=1, required=False)
