"""The review queue and the adjudication screen (reviewers and managers).

Every change on the adjudication screen is one htmx POST answered with the screen's
two regions (the items, swapped into the target; the annotators' decisions, out of
band) and the flash line. Changes that would overwrite another reviewer's answer 409
with the fresh regions; bad input 400 with a message naming the field.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from annotate.access import ProjectAccess, Role, document_in, project_access
from annotate.models import Assignment, Document, Label, Rating, Span, Stance
from annotate.review import adjudication
from annotate.review.adjudication import Conflict
from annotate.review.queue import (
    QUEUE_ORDERS,
    QueueFilters,
    document_score,
    parse_cursor,
    review_queue,
)
from annotate.views.htmx import (
    HtmxHttpRequest,
    back_with_message,
    flash_error,
    flash_oob,
    refused,
)

QUEUE_PAGE = 50
TEMPLATE = "annotate/review_adjudicate.html"
KINDS = {"span": Span, "stance": Stance, "rating": Rating}
LABEL_KIND = {
    "span": Label.Kind.ENTITY,
    "stance": Label.Kind.STANCE,
    "rating": Label.Kind.RELIABILITY,
}
STALE_NOTICE = "Another reviewer changed this gold version too; the screen shows both."


# Forms: beside the views that use them


class QueueForm(forms.Form):
    annotator = forms.ModelChoiceField(queryset=None, required=False)
    label = forms.ModelChoiceField(queryset=None, required=False)
    state = forms.ChoiceField(
        choices=[("", "any review state"), *Assignment.ReviewState.choices],
        required=False,
    )
    disagree = forms.BooleanField(required=False, label="annotators disagree")
    order = forms.ChoiceField(
        choices=[(order, f"by {order}") for order in QUEUE_ORDERS], required=False
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["annotator"].queryset = (
            get_user_model()
            .objects.filter(memberships__project=project)
            .order_by("username")
        )
        self.fields["label"].queryset = project.labels.order_by("kind", "position")
        self.fields["label"].label_from_instance = lambda label: (
            f"{label.kind}: {label}"
        )

    def clean_after(self) -> tuple[int, int] | None:
        after = self.cleaned_data["after"]
        if after and parse_cursor(after) is None:
            raise forms.ValidationError(f"{after!r} is not a page of this queue.")
        return parse_cursor(after) if after else None

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            annotator=data["annotator"].pk if data["annotator"] else None,
            label=data["label"].pk if data["label"] else None,
            state=data["state"],
            disagree=data["disagree"],
            order=data["order"] or QUEUE_ORDERS[0],
        )


class GoldChangeForm(forms.Form):
    """Every gold change carries the gold version the screen showed (0: no gold yet)
    and, where it sets a choice, the gold label the screen showed (0: none)."""

    version = forms.IntegerField(min_value=0, required=False)
    seen_label = forms.IntegerField(min_value=0, required=False)


class ItemForm(GoldChangeForm):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in KINDS])
    item = forms.IntegerField(min_value=1)


class GoldEditForm(ItemForm):
    action = forms.ChoiceField(choices=[("remove", "remove"), ("relabel", "relabel")])
    label = forms.IntegerField(required=False)

    def __init__(self, *args, project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") != "relabel" or "kind" not in data:
            return data
        kind = LABEL_KIND[data["kind"]]
        label = self.project.labels.filter(kind=kind, pk=data.get("label")).first()
        if label is None:
            raise forms.ValidationError(f"label: no {kind} label with that id here.")
        data["label"] = label
        return data


class AgreedForm(GoldChangeForm):
    k = forms.IntegerField(min_value=1)


class DecideForm(forms.Form):
    assignment = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    comment = forms.CharField(required=False, max_length=2000)
    # The annotator's version the screen showed: a decision on a changed one is refused.
    seen_version = forms.IntegerField(min_value=0, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not data.get("comment", "").strip():
            raise forms.ValidationError(
                "comment: say what to fix; a rejection goes back to the annotator."
            )
        return data


# The queue


@require_GET
def queue_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    form = QueueForm(request.GET, project=access.project)
    if not form.is_valid():
        return refused(request, form)
    rows = review_queue(
        access.project,
        form.filters(),
        after=form.cleaned_data["after"],
        limit=QUEUE_PAGE + 1,
    )
    more = len(rows) > QUEUE_PAGE
    rows = rows[:QUEUE_PAGE]
    context = {
        "access": access,
        "project": access.project,
        "form": form,
        "rows": rows,
        "next_cursor": rows[-1].cursor if more else "",
        "first_page": not form.cleaned_data["after"],
    }
    template = "annotate/review_queue.html"
    if request.htmx:
        template += "#queue-table"
    return render(request, template, context)


@require_GET
def next_in_queue(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document after this one in the queue, with the filters the queue had."""
    access = project_access(request, slug, at_least=Role.REVIEWER)
    document = document_in(access, pk)
    form = QueueForm(request.GET, project=access.project)
    if not form.is_valid():
        return refused(request, form)
    filters = form.filters()
    score = document_score(access.project, document.pk)
    rows = review_queue(access.project, filters, after=(score, document.pk), limit=1)
    query = request.GET.urlencode()
    if not rows:
        messages.info(request, "That was the last document in the queue.")
        return redirect(reverse("annotate:review-queue", args=[slug]) + f"?{query}")
    url = reverse("annotate:adjudicate", args=[slug, rows[0].document_id])
    return redirect(f"{url}?{query}" if query else url)


# The adjudication screen


@require_GET
def adjudicate(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    document = document_in(access, pk)
    return render(request, TEMPLATE, _context(request, access, document))


@require_POST
def take(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Copy one annotator's span, stance or rating into gold."""
    access, document = _reviewed_document(request, slug, pk)
    form = ItemForm(request.POST)
    if not form.is_valid():
        return refused(request, form)
    item = _annotators_item(document, form.cleaned_data)
    return _apply(
        request, access, document, form, adjudication.take,
        item=item, seen_label=form.cleaned_data["seen_label"],
    )  # fmt: skip


@require_POST
def gold_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Remove a gold item, or give it another label."""
    access, document = _reviewed_document(request, slug, pk)
    form = GoldEditForm(request.POST, project=access.project)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    item = _gold_item(document, data)
    if data["action"] == "remove":
        if item is None:  # removed already (a replay, another reviewer): nothing to do
            return _respond(request, access, document)
        return _apply(request, access, document, form, adjudication.remove, item=item)
    if item is None:
        message = "That item was removed from gold by another reviewer meanwhile."
        return _respond(request, access, document, message=message, status=409)
    return _apply(
        request, access, document, form, adjudication.relabel,
        item=item, label=data["label"], seen_label=data["seen_label"],
    )  # fmt: skip


@require_POST
def take_agreed(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Copy into gold every item on which at least k annotators agree."""
    access, document = _reviewed_document(request, slug, pk)
    form = AgreedForm(request.POST)
    if not form.is_valid():
        return refused(request, form)
    annotators = (
        Assignment.objects.filter(document=document, is_gold=False).submitted().count()
    )
    k = form.cleaned_data["k"]
    if k > max(annotators, 1):
        message = f"k: at most {annotators}, the annotators who submitted; not {k}."
        return flash_error(request, message, status=400)
    version = _gold_version(document)
    # Never a Conflict: a gold choice that differs from the agreed one is kept.
    outcome = adjudication.take_agreed(document, reviewer=request.user, k=k)
    message = f"{outcome.added} item(s) taken, agreed on by at least {k}."
    if outcome.kept:
        message += f" {outcome.kept} gold choice(s) that differ were kept."
    if _stale(form, version):
        message += f" {STALE_NOTICE}"
    return _respond(request, access, document, message=message, level="notice")


@require_POST
def decide(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Accept or reject one annotator's version, with a comment."""
    access, document = _reviewed_document(request, slug, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    assignment = (
        Assignment.objects.filter(
            document=document, is_gold=False, pk=data["assignment"]
        )
        .select_related("annotator")
        .first()
    )
    if assignment is None:
        raise Http404("No such annotator version of this document.")
    try:
        adjudication.decide(
            assignment, reviewer=request.user, action=data["action"],
            comment=data["comment"].strip(), seen_version=data["seen_version"],
        )  # fmt: skip
    except Conflict as error:
        return _respond(request, access, document, message=str(error), status=409)
    message = f"{assignment.annotator.username}'s version {assignment.review_state}."
    return _respond(request, access, document, message=message, level="notice")


# Helpers


def _reviewed_document(
    request: HtmxHttpRequest, slug: str, pk: int
) -> tuple[ProjectAccess, Document]:
    access = project_access(request, slug, at_least=Role.REVIEWER)
    return access, document_in(access, pk)


def _annotators_item(document: Document, data: dict) -> Span | Stance | Rating:
    """An item of one of the document's submitted annotator versions; 404 otherwise."""
    model = KINDS[data["kind"]]
    item = (
        model.objects.filter(
            pk=data["item"],
            assignment__document=document,
            assignment__is_gold=False,
            assignment__status=Assignment.Status.SUBMITTED,
        )
        .select_related(*_related(data["kind"]))
        .first()
    )
    if item is None:
        raise Http404(f"No such {data['kind']} in this document's submitted versions.")
    return item


def _gold_item(document: Document, data: dict) -> Span | Stance | Rating | None:
    """The document's gold item; None when it is gone (deleted meanwhile). An id of
    another document's item is a 404, so ids reveal nothing."""
    model = KINDS[data["kind"]]
    found = model.objects.filter(pk=data["item"]).select_related(
        "assignment", *_related(data["kind"])
    )
    item = found.first()
    if item is None:
        return None
    if item.assignment.document_id != document.pk or not item.assignment.is_gold:
        raise Http404(f"No such {data['kind']} in this document's gold version.")
    return item


def _related(kind: str) -> tuple[str, ...]:
    return {
        "span": ("label",),
        "stance": ("target", "label"),
        "rating": ("source", "label"),
    }[kind]


def _gold_version(document: Document) -> int:
    gold = Assignment.objects.filter(document=document, is_gold=True)
    return gold.values_list("version", flat=True).first() or 0


def _stale(form: forms.Form, stored_version: int) -> bool:
    shown = form.cleaned_data.get("version")
    return shown is not None and shown != stored_version


def _apply(
    request: HtmxHttpRequest, access: ProjectAccess, document: Document, form, action, /,
    **arguments,
) -> HttpResponse:  # fmt: skip
    """Run a gold change and answer with the fresh screen; 409 on a Conflict."""
    version = _gold_version(document)
    try:
        action(document, reviewer=request.user, **arguments)
    except Conflict as error:
        return _respond(request, access, document, message=str(error), status=409)
    notice = STALE_NOTICE if _stale(form, version) else ""
    return _respond(request, access, document, message=notice, level="notice")


def _context(
    request: HtmxHttpRequest, access: ProjectAccess, document: Document
) -> dict:
    versions = adjudication.document_versions(document)
    labels = list(access.project.labels.all())
    annotators = len(versions.annotators)
    slug, pk = access.project.slug, document.pk
    names = {"take": "review-take", "gold": "review-gold", "agreed": "review-agreed"}
    urls = {
        key: reverse(f"annotate:{name}", args=[slug, pk]) for key, name in names.items()
    }
    urls["decide"] = reverse("annotate:review-decide", args=[slug, pk])
    query = request.GET.urlencode()
    urls["next"] = reverse("annotate:review-next", args=[slug, pk]) + (
        f"?{query}" if query else ""
    )
    urls["queue"] = reverse("annotate:review-queue", args=[slug]) + (
        f"?{query}" if query else ""
    )
    return {
        "access": access,
        "project": access.project,
        "document": document,
        "versions": versions,
        "gold_version": versions.gold.version if versions.gold else 0,
        "marked_text": adjudication.marked_items(
            document.text, versions.spans, annotators
        ),
        # Retired labels are not offered for gold (items that have one show it).
        "labels_of": {
            kind: [
                label
                for label in labels
                if label.kind == label_kind and not label.retired
            ]
            for kind, label_kind in LABEL_KIND.items()
        },
        "default_k": annotators // 2 + 1 if annotators > 1 else 1,
        "urls": urls,
    }


def _respond(
    request: HtmxHttpRequest, access: ProjectAccess, document: Document, *,
    message: str = "", level: str = "error", status: int = 200,
) -> HttpResponse:  # fmt: skip
    """The screen's regions, fresh from the database, and the flash line (always sent,
    so an old message goes). Without htmx: back to the screen, with the message."""
    if not request.htmx:
        return back_with_message(
            request, message, level, "annotate:adjudicate",
            slug=access.project.slug, pk=document.pk,
        )  # fmt: skip
    context = _context(request, access, document)
    body = [
        render_to_string(f"{TEMPLATE}#adjudication", context, request),
        render_to_string(f"{TEMPLATE}#decisions", {**context, "oob": True}, request),
        flash_oob(request, message, level),
    ]
    response = HttpResponse("".join(body), status=status)
    return trigger_client_event(
        response, "goldChanged", {"version": context["gold_version"]}
    )
