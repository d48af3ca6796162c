"""The annotation screen: the queue, the page, and every change as one htmx request,
answered with only what it changed (annotate.views.annotate_answers)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.access import (
    ProjectAccess,
    assignment_in,
    own_assignment_access,
    project_access,
)
from annotate.labelling import changes as labelling
from annotate.labelling import predicted, queue
from annotate.labelling.linking import candidates_for
from annotate.labelling.screen import screen_context
from annotate.labelling.suggestions import suggestions_for
from annotate.models import Assignment, Span
from annotate.views.annotate_answers import (
    TEMPLATE,
    TEXT_FRAGMENTS,
    apply_change,
    respond,
    span_gone,
)
from annotate.views.forms import (
    ChangeForm,
    LinkForm,
    NextForm,
    PartForm,
    RatingForm,
    SpanForm,
    SpanLabelForm,
    StanceForm,
    SuggestionForm,
)
from annotate.views.htmx import (
    HtmxHttpRequest,
    go,
    refused,
)

# What undoing a change redraws: a stance or a rating its panel, anything else the text.
UNDONE_FRAGMENTS = {"stance": ("stance-panel",), "rating": ("source-panel",)}
# The open documents the done page lists (the rest are under My work).
OPEN_LISTED = 5


# Queue


@require_GET
def next_document(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Returned work first, then assigned, then a new document (annotate.labelling.queue);
    `?after=<assignment>` is the one the annotator leaves open, never handed back."""
    access = project_access(request, slug)
    form = NextForm(request.GET)
    if not form.is_valid():
        return refused(request, form)
    after = None
    if form.cleaned_data["after"] is not None:
        after = (
            Assignment.objects.by(request.user)
            .filter(document__project=access.project, pk=form.cleaned_data["after"])
            .first()
        )  # someone else's id: nothing of theirs would be handed out anyway
    assignment = queue.next_assignment(
        project=access.project, user=request.user, after=after
    )
    if assignment is None:
        return _queue_done(request, access, after)
    return redirect("annotate:annotate", slug=slug, pk=assignment.pk)


def _queue_done(
    request: HtmxHttpRequest, access: ProjectAccess, after: Assignment | None
) -> HttpResponse:
    """Nothing new to hand out: say what of theirs is still open, and where."""
    project, user = access.project, request.user
    open_work = (
        queue.work_of(project=project, user=user)
        .filter(queue.STATES["in_progress"] | queue.STATES["returned"])
        .select_related("document")
        .only("id", "review_state", "updated_at", "document__title")
        .order_by("-updated_at", "-id")[:OPEN_LISTED]
    )
    context = {
        "access": access,
        "project": project,
        "counts": queue.work_counts(project=project, user=user),
        "open_work": open_work,
        "left": after,
    }
    return render(request, "annotate/queue_done.html", context)


@require_POST
def submit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Submit (or submit again after a correction) and go to the next document."""
    _, assignment = _own_assignment(request, slug, pk)
    if assignment.is_open_to_changes:  # a rejected version comes back for review
        queue.submit(assignment)
    return go(request, reverse("annotate:next", args=[slug]))


@require_POST
def skip(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    _, assignment = _own_assignment(request, slug, pk)
    if assignment.status == Assignment.Status.ASSIGNED:
        queue.release(assignment)
    return go(request, reverse("annotate:next", args=[slug]))


# The page


@require_GET
def annotate_page(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug)
    assignment = assignment_in(access, pk, request.user)
    if assignment.annotator_id == request.user.pk:
        queue.mark_opened(assignment)
    asked = PartForm(request.GET)
    part = asked.cleaned_data["part"] if asked.is_valid() else None
    context = screen_context(
        user=request.user, access=access, assignment=assignment, part=part
    )
    return render(request, TEMPLATE, context)


@require_GET
def labels_css(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Label colours as classes: the CSP allows no inline style attributes."""
    access = project_access(request, slug)
    rules = [
        f".l-{label.pk}{{--label:{label.colour}}}"
        for label in access.project.labels.all()
        if label.colour.startswith("#") and len(label.colour) == 7
    ]
    return HttpResponse("\n".join(rules), content_type="text/css")


# Changes to spans


@require_POST
def span_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = SpanForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    return apply_change(
        request, access, assignment, form, labelling.add_span,
        assignment=assignment, start=data["start"], end=data["end"], label=data["label"],
    )  # fmt: skip


@require_POST
def span_relabel(
    request: HtmxHttpRequest, slug: str, pk: int, span_pk: int
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = SpanLabelForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    span = _span_of(assignment, span_pk)
    if span is None:
        return span_gone(request, access, assignment, form.shown_part)
    return apply_change(
        request, access, assignment, form, labelling.change_span_label,
        span=span, label=form.cleaned_data["label"], seen_label=form.shown_label,
    )  # fmt: skip


@require_POST
def span_delete(
    request: HtmxHttpRequest, slug: str, pk: int, span_pk: int
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = ChangeForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    span = _span_of(assignment, span_pk)
    if span is None:  # already gone (a replayed request, another tab): nothing to do
        return respond(
            request, access, assignment, TEXT_FRAGMENTS, "spansChanged",
            part=form.shown_part,
        )  # fmt: skip
    return apply_change(
        request, access, assignment, form, labelling.delete_span,
        span=span, seen_label=form.shown_label,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def span_link(
    request: HtmxHttpRequest, slug: str, pk: int, span_pk: int
) -> HttpResponse:
    """GET: the entities resembling the span (pg_trgm). POST: link it to one, or a new one."""
    access, assignment = _own_assignment(request, slug, pk)
    span = _span_of(assignment, span_pk)
    if request.method == "GET":
        if span is None:
            raise Http404("No such span.")
        candidates = candidates_for(assignment, span.text)
        context = {"project": access.project, "assignment": assignment}
        context.update(span=span, candidates=candidates)
        return render(request, "annotate/_link_panel.html", context)
    form = LinkForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    if span is None:
        return span_gone(request, access, assignment, form.shown_part)
    data = form.cleaned_data
    return apply_change(
        request, access, assignment, form, labelling.link_span,
        span=span, entity=data["entity"], new_name=data["new_name"].strip(),
    )  # fmt: skip


@require_POST
def undo(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Undo the assignment's last change, whatever it was; the panel it was made in
    is redrawn, and the flash line says what was undone."""
    access, assignment = _own_assignment(request, slug, pk)
    form = ChangeForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    return apply_change(
        request, access, assignment, form, labelling.undo_last_change,
        fragments=lambda undone: UNDONE_FRAGMENTS.get(
            undone and undone.action, TEXT_FRAGMENTS
        ),
        notice=_undone_notice, event="changeUndone",
        assignment=assignment, seen_version=form.shown_version,
    )  # fmt: skip


def _undone_notice(undone: labelling.Undone | None) -> str:
    return f"Undone: {undone.description}" if undone else "Nothing to undo."


# Suggestions


@require_POST
def suggestion_accept(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _suggestion(request, slug, pk, accept=True)


@require_POST
def suggestion_dismiss(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _suggestion(request, slug, pk, accept=False)


def _suggestion(
    request: HtmxHttpRequest, slug: str, pk: int, *, accept: bool
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = SuggestionForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    where = {"start": data["start"], "end": data["end"], "label": data["label"]}
    if accept:
        change, fate = labelling.add_span, predicted.Fate.ACCEPTED
        extra = {"origin": Span.Origin.SUGGESTED}
    else:
        change, fate = labelling.dismiss_suggestion, predicted.Fate.DISMISSED
        extra = {}

    def change_and_note_fate(**arguments):
        # Noted once the change is stored, whatever the answer's shape (htmx
        # fragments or, without htmx, a redirect): a model's suggestion's fate.
        result = change(**arguments)
        predicted.record(assignment, fate=fate, **where)
        return result

    return apply_change(
        request, access, assignment, form, change_and_note_fate,
        assignment=assignment, **where, **extra,
    )  # fmt: skip


@require_POST
def suggestions_accept_all(
    request: HtmxHttpRequest, slug: str, pk: int
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = ChangeForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    labels = {label.pk: label for label in access.project.labels.entities()}
    spans = list(assignment.spans.all())
    pending = predicted.merged(
        suggestions_for(assignment, spans),
        predicted.predicted_suggestions(assignment, spans),
    )
    # A page of them per press, so one press stays short however many there are.
    page = pending[: settings.ACCEPT_ALL_LIMIT]

    def accept_and_note_fates(**arguments):
        accepted = labelling.accept_suggestions(**arguments)
        predicted.record_all(assignment, page, predicted.Fate.ACCEPTED)
        return accepted

    return apply_change(
        request, access, assignment, form, accept_and_note_fates,
        notice=lambda accepted: _accepted_notice(accepted, len(page), len(pending)),
        assignment=assignment, suggestions=page, labels=labels,
    )  # fmt: skip


def _accepted_notice(accepted: int, page: int, pending: int) -> str:
    """What a press of "Accept all" did, and what is left when it took a page."""
    if page == pending:
        return ""
    left = pending - page
    return (
        f"Accepted {accepted:,} of {pending:,} suggestions; press Accept all again "
        f"for the next {min(left, page):,} ({left:,} left)."
    )


# Stance and source reliability


@require_POST
def stance_set(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = StanceForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    return apply_change(
        request, access, assignment, form, labelling.set_stance,
        fragments=("stance-panel",), event="stanceChanged",
        assignment=assignment, target=data["target"], label=data["label"],
        note=data["note"], evidence=form.evidence(), seen_label=form.shown_label,
    )  # fmt: skip


@require_POST
def rating_set(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = RatingForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return refused(request, form)
    data = form.cleaned_data
    return apply_change(
        request, access, assignment, form, labelling.set_rating,
        fragments=("source-panel",), event="ratingChanged",
        assignment=assignment, source_name=data["source"], role=data["role"],
        label=data["label"], rationale=data["rationale"], evidence=form.evidence(),
        seen_label=form.shown_label,
    )  # fmt: skip


# Helpers


def _own_assignment(
    request: HtmxHttpRequest, slug: str, pk: int
) -> tuple[ProjectAccess, Assignment]:
    """Changes are made by the assignment's annotator alone; anyone else gets a 404."""
    return own_assignment_access(request, slug, pk)


def _span_of(assignment: Assignment, span_pk: int) -> Span | None:
    span = Span.objects.select_related("label", "entity").filter(
        assignment=assignment, pk=span_pk
    )
    span = span.first()
    if span is not None:
        span.assignment = assignment  # loaded already, with its document
    return span
