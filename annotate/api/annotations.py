"""Annotations: every version of a document the caller may see (an annotator in a
blind project sees only their own), and the caller's own version changed with the
annotation screen's forms and labelling functions: the same checks, the same version
numbers, the same conflicts (409). Reviewers decide on versions and build gold with
the review screen's functions."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from annotate.access import (
    ProjectAccess,
    Role,
    assignment_in,
    document_in,
    own_assignment_in,
)
from annotate.api.core import ApiError, access_to, responses
from annotate.api.schemas import (
    QueueOut,
    RatingSet,
    ReviewIn,
    Seen,
    SpanChange,
    SpanCreate,
    StanceSet,
    UndoOut,
    VersionOut,
)
from annotate.labelling import changes as labelling
from annotate.labelling import queue
from annotate.models import Assignment, Document, Rating, Span, Stance
from annotate.review import adjudication
from annotate.views.forms import (
    ChangeForm,
    RatingForm,
    SpanForm,
    SpanLabelForm,
    StanceForm,
)

router = Router(tags=["annotations"])
VERSION_ERRORS = (400, 401, 403, 404, 409, 422, 429, 500)


VERSION_FIELDS = (
    "id", "document_id", "annotator__username", "is_gold", "status", "review_state",
    "reviewer__username", "review_comment", "version", "updated_at", "submitted_at",
)  # fmt: skip
SPAN_FIELDS = (
    "id",
    "start",
    "end",
    "label_id",
    "label__name",
    "text",
    "entity__name",
    "origin",
)
STANCE_FIELDS = (
    "target_id", "target__name", "label_id", "label__name", "evidence_start",
    "evidence_end", "evidence_text", "note",
)  # fmt: skip
RATING_FIELDS = (
    "source__name", "role", "label_id", "label__name", "evidence_start",
    "evidence_end", "evidence_text", "rationale",
)  # fmt: skip


def versions_of(assignments) -> list[dict]:
    """The versions with everything hanging off them, as plain rows: four queries
    whatever their size (a GET of one document's annotations is read often)."""
    rows = list(assignments.values_list(*VERSION_FIELDS))
    ids = [row[0] for row in rows]
    spans = _items(Span.objects.order_by("start", "-end", "id"), ids, SPAN_FIELDS)
    stances = _items(Stance.objects.order_by("target__name"), ids, STANCE_FIELDS)
    ratings = _items(
        Rating.objects.order_by("role", "source__name"), ids, RATING_FIELDS
    )
    names = ("spans", "stances", "ratings")
    versions = []
    for row in rows:
        version = dict(zip(VERSION_OUT, row, strict=True))
        for name, items, fields in zip(
            names,
            (spans, stances, ratings),
            (SPAN_OUT, STANCE_OUT, RATING_OUT),
            strict=True,
        ):
            version[name] = [
                dict(zip(fields, item, strict=True)) for item in items[row[0]]
            ]
        versions.append(version)
    return versions


VERSION_OUT = (
    "id", "document", "annotator", "is_gold", "status", "review_state", "reviewer",
    "review_comment", "version", "updated_at", "submitted_at",
)  # fmt: skip
SPAN_OUT = ("id", "start", "end", "label", "label_name", "text", "entity", "origin")
STANCE_OUT = (
    "target", "target_name", "label", "label_name", "evidence_start", "evidence_end",
    "evidence_text", "note",
)  # fmt: skip
RATING_OUT = (
    "source", "role", "label", "label_name", "evidence_start", "evidence_end",
    "evidence_text", "rationale",
)  # fmt: skip


def _items(rows, ids: list[int], fields: tuple[str, ...]) -> dict[int, list[tuple]]:
    """The rows of the assignments `ids`, grouped by assignment (one query; none
    without ids)."""
    grouped: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        for assignment, *item in rows.filter(assignment_id__in=ids).values_list(
            "assignment_id", *fields
        ):
            grouped[assignment].append(tuple(item))
    return grouped


def visible_versions(access: ProjectAccess, document: Document, user):
    versions = Assignment.objects.filter(document=document).order_by("-is_gold", "id")
    if not access.sees_others_work():
        versions = versions.filter(annotator=user, is_gold=False)
    return versions


def fresh(assignment: Assignment) -> dict:
    return versions_of(Assignment.objects.filter(pk=assignment.pk))[0]


# Reading


@router.get(
    "/{slug}/documents/{int:pk}/annotations/",
    response=responses({200: list[VersionOut]}),
)
def list_versions(request: HttpRequest, slug: str, pk: int):
    """Every version of the document you may see: gold first, then each annotator's
    (only your own, as an annotator in a blind project)."""
    access = access_to(request, slug)
    # Only whether it is the project's: its text, raw input and search vector are
    # most of a document row, and none of them is needed here.
    document = Document.objects.filter(project=access.project, pk=pk).only("id").first()
    if document is None:
        raise Http404("No such document in this project.")
    return versions_of(visible_versions(access, document, request.user))


@router.get(
    "/{slug}/documents/{int:pk}/annotations/{int:version_id}/",
    response=responses({200: VersionOut}),
)
def get_version(request: HttpRequest, slug: str, pk: int, version_id: int):
    access = access_to(request, slug)
    return fresh(_version(access, request, pk, version_id))


@router.post("/{slug}/queue/", response=responses({200: QueueOut}))
def next_in_queue(request: HttpRequest, slug: str):
    """Your next document to label, as the web's `next` hands it out (your unfinished
    one first, else a document with a free slot): your version of it, made if new."""
    access = access_to(request, slug)
    assignment = queue.next_assignment(project=access.project, user=request.user)
    return {"version": fresh(assignment) if assignment else None}


# Changing your own version


def _version(access, request, pk: int, version_id: int) -> Assignment:
    assignment = assignment_in(access, version_id, request.user)
    if assignment.document_id != pk:
        raise Http404("No such version of this document.")
    return assignment


def _own(request: HttpRequest, slug: str, pk: int, version_id: int) -> Assignment:
    access = access_to(request, slug)
    assignment = own_assignment_in(access, version_id, request.user)
    if assignment.document_id != pk:
        raise Http404("No such version of this document.")
    return assignment


def _checked(form_class, payload: Schema | dict, assignment: Assignment):
    """The screen's form for the change, filled from the request: its errors become
    a 422 naming each field."""
    data = payload if isinstance(payload, dict) else payload.dict()
    form = form_class(
        {k: v for k, v in data.items() if v is not None}, assignment=assignment
    )
    if not form.is_valid():
        raise _form_error(form)
    return form


def _form_error(form: forms.Form) -> ApiError:
    errors = [
        {"field": "" if name == "__all__" else name, "message": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]
    summary = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return ApiError(422, summary, errors)


def _apply(action, /, **arguments):
    try:
        return action(**arguments)
    except (labelling.LockedAssignment, labelling.Conflict) as error:
        raise ApiError(409, str(error)) from None


SPANS = "/{slug}/documents/{int:pk}/annotations/{int:version_id}/spans/"


@router.post(SPANS, response=responses({201: VersionOut}, errors=VERSION_ERRORS))
def add_span(
    request: HttpRequest, slug: str, pk: int, version_id: int, payload: SpanCreate
):
    """Label a span of your version; `text` must be the document's text at start-end."""
    assignment = _own(request, slug, pk, version_id)
    data = _checked(SpanForm, payload, assignment).cleaned_data
    _apply(labelling.add_span, assignment=assignment,
        start=data["start"], end=data["end"], label=data["label"],
    )  # fmt: skip
    return Status(201, fresh(assignment))


def _span(assignment: Assignment, span_id: int) -> Span:
    span = (
        Span.objects.select_related("label", "entity")
        .filter(assignment=assignment, pk=span_id)
        .first()
    )
    if span is None:
        raise Http404("No such span in this version.")
    span.assignment = assignment
    return span


@router.patch(
    SPANS + "{int:span_id}/",
    response=responses({200: VersionOut}, errors=VERSION_ERRORS),
)
def relabel_span(
    request: HttpRequest, slug: str, pk: int, version_id: int, span_id: int,
    payload: SpanChange,
):  # fmt: skip
    assignment = _own(request, slug, pk, version_id)
    form = _checked(SpanLabelForm, payload, assignment)
    span = _span(assignment, span_id)
    _apply(labelling.change_span_label, span=span,
        label=form.cleaned_data["label"], seen_label=form.shown_label,
    )  # fmt: skip
    return fresh(assignment)


@router.delete(
    SPANS + "{int:span_id}/",
    response=responses({200: VersionOut}, errors=VERSION_ERRORS),
)
def delete_span(
    request: HttpRequest, slug: str, pk: int, version_id: int, span_id: int,
    seen: Query[Seen],
):  # fmt: skip
    """Remove a span; one already gone (a replayed request) changes nothing."""
    assignment = _own(request, slug, pk, version_id)
    form = _checked(ChangeForm, seen, assignment)
    span = (
        Span.objects.select_related("label")
        .filter(assignment=assignment, pk=span_id)
        .first()
    )
    if span is not None:
        span.assignment = assignment
        _apply(labelling.delete_span, span=span, seen_label=form.shown_label)
    return fresh(assignment)


VERSION = "/{slug}/documents/{int:pk}/annotations/{int:version_id}/"


@router.put(
    VERSION + "stances/", response=responses({200: VersionOut}, errors=VERSION_ERRORS)
)
def set_stance(
    request: HttpRequest, slug: str, pk: int, version_id: int, payload: StanceSet
):
    """Choose your version's stance toward a target (by ids); a note or evidence left
    out keeps the one given before."""
    assignment = _own(request, slug, pk, version_id)
    form = _checked(StanceForm, payload, assignment)
    data = form.cleaned_data
    _apply(labelling.set_stance, assignment=assignment, target=data["target"],
        label=data["label"], note=data["note"], evidence=form.evidence(),
        seen_label=form.shown_label,
    )  # fmt: skip
    return fresh(assignment)


@router.put(
    VERSION + "ratings/", response=responses({200: VersionOut}, errors=VERSION_ERRORS)
)
def set_rating(
    request: HttpRequest, slug: str, pk: int, version_id: int, payload: RatingSet
):
    """Rate a source (by name) in a role; what is left out is kept."""
    assignment = _own(request, slug, pk, version_id)
    form = _checked(RatingForm, payload, assignment)
    data = form.cleaned_data
    _apply(labelling.set_rating, assignment=assignment,
        source_name=data["source"], role=data["role"], label=data["label"],
        rationale=data["rationale"], evidence=form.evidence(),
        seen_label=form.shown_label,
    )  # fmt: skip
    return fresh(assignment)


@router.post(
    VERSION + "undo/", response=responses({200: UndoOut}, errors=VERSION_ERRORS)
)
def undo(request: HttpRequest, slug: str, pk: int, version_id: int, payload: Seen):
    """Undo your version's last change. Send the `version` you last saw: from an
    out-of-date view it is refused (409), as on the screen."""
    assignment = _own(request, slug, pk, version_id)
    form = _checked(ChangeForm, payload, assignment)
    undone = _apply(labelling.undo_last_change, assignment=assignment,
        seen_version=form.shown_version,
    )  # fmt: skip
    return {
        "undone": undone.action if undone else None,
        "description": undone.description if undone else None,
        "version": fresh(assignment),
    }


@router.post(
    VERSION + "submit/", response=responses({200: VersionOut}, errors=VERSION_ERRORS)
)
def submit(request: HttpRequest, slug: str, pk: int, version_id: int):
    """Submit your version (again, after a rejection) for review."""
    assignment = _own(request, slug, pk, version_id)
    if not assignment.is_open_to_changes:
        raise ApiError(409, "This version was accepted; it can no longer change.")
    queue.submit(assignment)
    return fresh(assignment)


# Review


@router.post(
    VERSION + "review/", response=responses({200: VersionOut}, errors=VERSION_ERRORS)
)
def review(
    request: HttpRequest, slug: str, pk: int, version_id: int, payload: ReviewIn
):
    """Accept or reject a submitted version, as the review screen does. Send the
    `version` you looked at: if it changed since, the decision is refused (409)."""
    access = access_to(request, slug, Role.REVIEWER)
    assignment = _version(access, request, pk, version_id)
    if assignment.is_gold:
        raise ApiError(409, "Gold is not reviewed; it is the reviewers' own version.")
    try:
        adjudication.decide(
            assignment, reviewer=request.user, action=payload.action,
            comment=payload.comment, seen_version=payload.version,
        )  # fmt: skip
    except adjudication.Conflict as error:
        raise ApiError(409, str(error)) from None
    return fresh(assignment)


class GoldIn(Schema):
    version: StrictInt | None = Field(
        default=None, ge=1, le=2**63 - 1, description="Copy everything of this version."
    )
    agreed_by: StrictInt | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Or copy every item at least this many annotators agree on.",
    )


@router.post(
    "/{slug}/documents/{int:pk}/gold/",
    response=responses({200: VersionOut}, errors=VERSION_ERRORS),
)
def build_gold(request: HttpRequest, slug: str, pk: int, payload: GoldIn):
    """Build the document's gold version from an annotator's version, or from what
    annotators agree on (never overwriting a gold choice already made)."""
    access = access_to(request, slug, Role.REVIEWER)
    document = document_in(access, pk)
    if (payload.version is None) == (payload.agreed_by is None):
        raise ApiError(422, "Give either version or agreed_by.")
    if payload.agreed_by is not None:
        adjudication.take_agreed(document, reviewer=request.user, k=payload.agreed_by)
    else:
        source = _version(access, request, pk, payload.version)
        if source.is_gold:
            raise ApiError(409, "That is the gold version already.")
        items = [
            *source.spans.all(),
            *source.stances.select_related("target", "label"),
            *source.ratings.select_related("source", "label"),
        ]
        try:
            for item in items:
                adjudication.take(document, reviewer=request.user, item=item)
        except adjudication.Conflict as error:
            raise ApiError(409, str(error)) from None
    gold = Assignment.objects.filter(document=document, is_gold=True).first()
    if gold is None:
        raise ApiError(409, "Nothing was agreed on, so there is no gold yet.")
    return fresh(gold)
