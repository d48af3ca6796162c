"""Every input of the annotation and project screens, checked against what it targets."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import validators

from annotate.labelling.linking import entities_for
from annotate.models import (
    Assignment,
    Entity,
    Label,
    Membership,
    Project,
    StanceTarget,
)
from annotate.models.projects import colour_validator
from annotate.offsets import span_problem


class AssignmentForm(forms.Form):
    """Base of every change to an assignment: knows the assignment, so offsets and
    labels are checked against it. Every change carries the version the screen showed
    and, where it changes one thing, the label the screen showed it with, so a change
    from an out-of-date tab can be told apart (see annotate.labelling.changes)."""

    version = forms.IntegerField(min_value=0, required=False)
    seen_label = forms.IntegerField(min_value=0, required=False)
    # The part of a long text the screen shows (annotate.labelling.paging): the
    # answer redraws that part's blocks.
    part = forms.IntegerField(min_value=1, required=False)
    # The fingerprint of what the screen shows (annotate.labelling.screen.Drawing).
    drawn = forms.CharField(max_length=40, required=False)

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

    @property
    def shown_part(self) -> int | None:
        return self.cleaned_data.get("part")

    @property
    def shown_drawing(self) -> str:
        return self.cleaned_data.get("drawn") or ""

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
        # A retired label stays where it was given (a note saved under it keeps
        # it) but is not given anew.
        if label.retired and label.pk != self.cleaned_data.get("seen_label"):
            raise forms.ValidationError(
                f"The {kind} label {label.name} is retired in this project."
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
        fields = ["name", "description", "guidelines", "overlap", "blind"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "guidelines": forms.Textarea(attrs={"rows": 8}),
        }


# New projects


BLIND_CHOICES = [
    ("", "Default: blind, or as copied"),
    ("blind", "Blind"),
    ("open", "Open"),
]


class NewProjectForm(forms.Form):
    """A project's name and first settings, and what it starts from: a template, or
    the set-up of a project the user manages (choice "copy-<id>")."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    start_from = forms.ChoiceField(label="Start from")
    guidelines = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown, shown on the annotation screen. Left empty when copying "
        "a project: its guidelines are copied.",
    )
    overlap = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=50,
        help_text="How many annotators label each document. Empty: 2, or the copied "
        "project's.",
    )
    blind = forms.ChoiceField(
        choices=BLIND_CHOICES,
        required=False,
        help_text="Blind: annotators never see each other's work. Open: they do.",
    )

    def __init__(self, *args, templates: dict, copyable, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.copyable = {f"copy-{project.pk}": project for project in copyable}
        choices = [("Templates", [(k, t.title) for k, t in templates.items()])]
        if self.copyable:
            copies = [
                (k, f"Copy the set-up of {p.name}") for k, p in self.copyable.items()
            ]
            choices.append(("A project you manage", copies))
        self.fields["start_from"].choices = choices
        self.fields["start_from"].initial = next(iter(templates))

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name

    def clean_blind(self) -> bool | None:
        return {"blind": True, "open": False}.get(self.cleaned_data["blind"])

    @property
    def copy_from(self) -> Project | None:
        return self.copyable.get(self.cleaned_data["start_from"])


# The label and stance-target editor

# What a row's buttons do (a row's form names the one pressed as `op`).
ROW_OPS = ["save", "up", "down", "retire", "restore", "delete"]


class LabelRowForm(forms.Form):
    """One label's editable fields; the buttons of its row say what to do (`op`)."""

    op = forms.ChoiceField(choices=[(op, op) for op in ROW_OPS], required=False)
    name = forms.CharField(max_length=100, required=False)
    colour = forms.CharField(
        max_length=7,
        required=False,
        validators=[colour_validator],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    shortcut = forms.CharField(
        max_length=1,
        required=False,
        label="Key",
        strip=False,
        widget=forms.TextInput(attrs={"size": 1, "class": "key-input"}),
    )
    value = forms.IntegerField(required=False, min_value=-99, max_value=99)
    description = forms.CharField(required=False, max_length=2000)

    def clean_op(self) -> str:
        return self.cleaned_data["op"] or "save"  # Enter in a field saves

    def clean_shortcut(self) -> str:
        return self.cleaned_data["shortcut"].strip().lower()


class NewLabelForm(LabelRowForm):
    kind = forms.ChoiceField(choices=Label.Kind.choices)
    field_order = ["kind", "name", "colour", "shortcut", "value", "description"]

    def clean_name(self) -> str:
        if not self.cleaned_data["name"].strip():
            raise forms.ValidationError("Give the label a name.")
        return self.cleaned_data["name"]


class TargetRowForm(forms.Form):
    op = forms.ChoiceField(choices=[(op, op) for op in ROW_OPS], required=False)
    name = forms.CharField(max_length=300)
    description = forms.CharField(required=False, max_length=2000)

    def clean_op(self) -> str:
        return self.cleaned_data["op"] or "save"


# People


class InviteForm(forms.Form):
    who = forms.CharField(
        max_length=254,
        label="Username or e-mail address",
        help_text="An e-mail address gets the link by mail (when mail is set up); "
        "either way the link is shown here to copy.",
    )
    role = forms.ChoiceField(choices=Membership.Role.choices)

    def clean_who(self) -> dict[str, str]:
        """{"email": ...} or {"username": ...}, checked as such."""
        who = self.cleaned_data["who"].strip()
        if "@" in who:
            validators.validate_email(who)
            return {"email": who}
        UnicodeUsernameValidator()(who)
        return {"username": who}


class RoleForm(forms.Form):
    op = forms.ChoiceField(
        choices=[(op, op) for op in ("role", "deactivate", "reactivate")]
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("op") == "role" and not data.get("role"):
            self.add_error("role", "Choose a role.")
        return data


class AccountForm(UserCreationForm):
    """The account an invitee takes: a username, an optional e-mail address (for
    resetting a forgotten password) and a password Django's validators accept."""

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "For a password reset link, if you forget it."


class IdListField(forms.Field):
    """Every value of a repeated field (ticked boxes), as distinct ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return sorted({int(item) for item in value or []})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(
                "Documents are given by their numbers."
            ) from error


class AssignForm(forms.Form):
    """Documents of the list (ticked, or every one matching its search) for people
    of the project."""

    document = IdListField(required=False)
    everything = forms.BooleanField(
        required=False, label="All documents matching the search"
    )
    q = forms.CharField(required=False)
    annotators = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Assign to"
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["annotators"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__project=project,
                memberships__is_active=True,
                is_active=True,
            )
            .order_by("username")
        )
        self.fields["annotators"].error_messages["required"] = (
            "Choose at least one person to assign to."
        )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("everything") and not data.get("document"):
            raise forms.ValidationError(
                "Tick the documents to assign, or choose all matching the search."
            )
        return data


class PartForm(forms.Form):
    """The annotation page's query: which part of a long text to show."""

    part = forms.IntegerField(min_value=1, required=False)


class NextForm(forms.Form):
    """`next`'s query: the assignment being left (Next on the annotation screen), which
    is not handed back."""

    after = forms.IntegerField(min_value=1, required=False)
