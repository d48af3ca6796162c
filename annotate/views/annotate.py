"""The annotation screen: the queue, the page, and every change as one htmx request
that returns only the fragments it changed."""

from __future__ import annotations

import markdown
import nh3
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    reswap,
    retarget,
    trigger_client_event,
)

from annotate import labelling, queue
from annotate.access import ProjectAccess, assignment_in, project_access
from annotate.citations import cited_sources
from annotate.forms import (
    RatingForm,
    SpanForm,
    SpanLabelForm,
    StanceForm,
    SuggestionForm,
)
from annotate.models import Assignment, Entity, Label, Rating, Span
from annotate.rendering import marked_text
from annotate.suggestions import suggestions_for

TEMPLATE = "annotate/annotate.html"


# Queue


@require_GET
def next_document(request: HttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug)
    assignment = queue.next_assignment(project=access.project, user=request.user)
    if assignment is None:
        return render(
            request,
            "annotate/queue_done.html",
            {"access": access, "project": access.project},
        )
    return redirect("annotate:annotate", slug=slug, pk=assignment.pk)


@require_POST
def submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    if assignment.review_state == Assignment.ReviewState.PENDING:
        assignment.submit()
    return _go(request, reverse("annotate:next", args=[slug]))


@require_POST
def skip(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    if assignment.status == Assignment.Status.ASSIGNED:
        queue.release(assignment)
    return _go(request, reverse("annotate:next", args=[slug]))


# The page


@require_GET
def annotate_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug)
    assignment = assignment_in(access, pk, request.user)
    return render(request, TEMPLATE, screen_context(request, access, assignment))


def screen_context(
    request: HttpRequest, access: ProjectAccess, assignment: Assignment
) -> dict:
    """Everything the screen shows, in a fixed number of queries whatever its size."""
    document, project = assignment.document, access.project
    labels = list(project.labels.all())
    spans = list(assignment.spans.select_related("label", "entity"))
    stances = {stance.target_id: stance for stance in assignment.stances.all()}
    targets = [
        (target, stances.get(target.pk)) for target in project.stance_targets.all()
    ]
    ratings = {
        (r.source.name.casefold(), r.role): r
        for r in assignment.ratings.select_related("source")
    }
    suggestions = suggestions_for(assignment, spans)
    names = {label.pk: label.name for label in labels}
    urls = screen_urls(project.slug, assignment.pk)
    for span in spans:
        # Formatted, not reversed, per span: reverse() for 500 rows costs more than the page.
        span.relabel_url = urls["relabel"].replace("/0/", f"/{span.pk}/")
        span.delete_url = urls["delete"].replace("/0/", f"/{span.pk}/")
        span.link_url = urls["link"].replace("/0/", f"/{span.pk}/")
    return {
        "urls": urls,
        "access": access,
        "project": project,
        "assignment": assignment,
        "document": document,
        "editable": assignment.review_state == Assignment.ReviewState.PENDING
        and assignment.annotator_id == request.user.pk,
        "marked_text": marked_text(document.text, spans, suggestions),
        "suggestions": suggestions,
        "suggestion_rows": [(item, names[item.label_id]) for item in suggestions[:20]],
        "spans": sorted(spans, key=lambda span: (span.start, -span.end)),
        "entity_labels": [label for label in labels if label.kind == Label.Kind.ENTITY],
        "stance_labels": [label for label in labels if label.kind == Label.Kind.STANCE],
        "reliability_labels": [
            label for label in labels if label.kind == Label.Kind.RELIABILITY
        ],
        "targets": targets,
        "sources": sources_to_rate(document, ratings),
        "progress": queue.progress(project=project, user=request.user),
        "guidelines": nh3.clean(markdown.markdown(project.guidelines))
        if project.guidelines
        else "",
    }


def screen_urls(slug: str, pk: int) -> dict[str, str]:
    """The screen's action URLs, reversed once per page; span URLs carry span 0."""
    names = {
        "stance": "stance-set",
        "rating": "rating-set",
        "accept": "suggestion-accept",
        "dismiss": "suggestion-dismiss",
        "accept_all": "suggestions-accept-all",
    }
    urls = {
        key: reverse(f"annotate:{name}", args=[slug, pk]) for key, name in names.items()
    }
    urls["relabel"] = reverse("annotate:span-relabel", args=[slug, pk, 0])
    urls["delete"] = reverse("annotate:span-delete", args=[slug, pk, 0])
    urls["link"] = reverse("annotate:span-link", args=[slug, pk, 0])
    return urls


def sources_to_rate(document, ratings: dict) -> list[dict]:
    """The publisher, the credited source and every source the text cites, once each,
    with the rating given so far; plus sources rated by hand that were not detected."""
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(
        name: str, role: str, start: int | None = None, end: int | None = None
    ) -> None:
        key = (name.casefold(), role)
        if name and key not in seen:
            seen.add(key)
            rows.append(
                {
                    "name": name,
                    "role": role,
                    "start": start,
                    "end": end,
                    "rating": ratings.get(key),
                }
            )

    if document.publisher:
        add(document.publisher.name, Rating.Role.PUBLISHER)
    if credit := (document.meta or {}).get("source_credit"):
        add(str(credit), Rating.Role.CITED)
    for citation in cited_sources(document.text):
        add(citation.name, Rating.Role.CITED, citation.start, citation.end)
    for (_, role), rating in ratings.items():
        add(rating.source.name, role, rating.evidence_start, rating.evidence_end)
    return rows


# Changes


@require_POST
def span_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = SpanForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return _refused(request, form)
    data = form.cleaned_data
    if refused := _change(
        request,
        labelling.add_span,
        assignment=assignment,
        start=data["start"],
        end=data["end"],
        label=data["label"],
    ):
        return refused
    return _spans_changed(request, access, assignment)


@require_POST
def span_relabel(
    request: HttpRequest, slug: str, pk: int, span_pk: int
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    span = get_object_or_404(Span, assignment=assignment, pk=span_pk)
    form = SpanLabelForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return _refused(request, form)
    if refused := _change(
        request,
        labelling.change_span_label,
        span=span,
        label=form.cleaned_data["label"],
    ):
        return refused
    return _spans_changed(request, access, assignment)


@require_POST
def span_delete(request: HttpRequest, slug: str, pk: int, span_pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    span = (
        Span.objects.filter(assignment=assignment, pk=span_pk)
        .select_related("assignment")
        .first()
    )
    # Already gone (a replayed request, another tab): nothing to do.
    if span is not None and (
        refused := _change(request, labelling.delete_span, span=span)
    ):
        return refused
    return _spans_changed(request, access, assignment)


@require_POST
def undo(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    if refused := _change(request, labelling.undo_last_span, assignment=assignment):
        return refused
    return _spans_changed(request, access, assignment)


@require_POST
def stance_set(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = StanceForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return _refused(request, form)
    data = form.cleaned_data
    if refused := _change(
        request,
        labelling.set_stance,
        assignment=assignment,
        target=data["target"],
        label=data["label"],
        note=data["note"],
        evidence=form.evidence(),
    ):
        return refused
    return _panel(request, access, assignment, "stance-panel", "stanceChanged")


@require_POST
def rating_set(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = RatingForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return _refused(request, form)
    data = form.cleaned_data
    if refused := _change(
        request,
        labelling.set_rating,
        assignment=assignment,
        source_name=data["source"],
        role=data["role"],
        label=data["label"],
        rationale=data["rationale"],
        evidence=form.evidence(),
    ):
        return refused
    return _panel(request, access, assignment, "source-panel", "ratingChanged")


@require_GET
def labels_css(request: HttpRequest, slug: str) -> HttpResponse:
    """Label colours as classes: the CSP allows no inline style attributes."""
    access = project_access(request, slug)
    rules = [
        f".l-{label.pk}{{--label:{label.colour}}}"
        for label in access.project.labels.all()
        if label.colour.startswith("#") and len(label.colour) == 7
    ]
    return HttpResponse("\n".join(rules), content_type="text/css")


# Helpers


def _own_assignment(
    request: HttpRequest, slug: str, pk: int
) -> tuple[ProjectAccess, Assignment]:
    """Changes are made by the assignment's annotator alone; anyone else gets a 404."""
    access = project_access(request, slug)
    assignment = assignment_in(access, pk, request.user)
    if assignment.annotator_id != request.user.pk:
        raise Http404("No such assignment of yours.")
    return access, assignment


def _change(request: HttpRequest, action, **arguments) -> HttpResponse | None:
    """Run a labelling action; a reviewed assignment refuses it with a 409 and a message."""
    try:
        action(**arguments)
    except labelling.LockedAssignment as error:
        return _message(request, str(error), status=409)
    return None


def _spans_changed(
    request: HttpRequest, access: ProjectAccess, assignment: Assignment
) -> HttpResponse:
    if not request.htmx:
        return redirect("annotate:annotate", slug=access.project.slug, pk=assignment.pk)
    assignment.refresh_from_db(fields=["version"])
    context = screen_context(request, access, assignment)
    body = render_to_string(f"{TEMPLATE}#doc-text", context, request)
    body += render_to_string(f"{TEMPLATE}#span-list", {**context, "oob": True}, request)
    response = HttpResponse(body)
    return trigger_client_event(
        response, "spansChanged", {"version": assignment.version}
    )


def _panel(
    request: HttpRequest,
    access: ProjectAccess,
    assignment: Assignment,
    name: str,
    event: str,
) -> HttpResponse:
    if not request.htmx:
        return redirect("annotate:annotate", slug=access.project.slug, pk=assignment.pk)
    response = render(
        request, f"{TEMPLATE}#{name}", screen_context(request, access, assignment)
    )
    return trigger_client_event(response, event, {})


def _refused(request: HttpRequest, form) -> HttpResponse:
    message = "; ".join(error for errors in form.errors.values() for error in errors)
    return _message(request, message, status=400)


def _message(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """An error shown in the screen's flash line (htmx) or as a small page."""
    response = render(
        request,
        "annotate/_flash.html",
        {"message": message, "level": "error"},
        status=status,
    )
    if request.htmx:
        response = reswap(retarget(response, "#flash"), "outerHTML")
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# Entity linking


@require_http_methods(["GET", "POST"])
def span_link(request: HttpRequest, slug: str, pk: int, span_pk: int) -> HttpResponse:
    """GET: the entities resembling the span (pg_trgm). POST: link it to one, or a new one."""
    access, assignment = _own_assignment(request, slug, pk)
    span = get_object_or_404(
        Span.objects.select_related("label", "entity"),
        assignment=assignment,
        pk=span_pk,
    )
    if request.method == "POST":
        entity = Entity.objects.filter(
            project=access.project, pk=request.POST.get("entity") or 0
        ).first()
        new_name = request.POST.get("new_name", "").strip()[:300]
        if entity is None and not new_name:
            return _message(request, "Choose an entity, or name a new one.", status=400)
        if refused := _change(
            request, labelling.link_span, span=span, entity=entity, new_name=new_name
        ):
            return refused
        return _spans_changed(request, access, assignment)
    candidates = Entity.objects.filter(project=access.project).similar_to(span.text)[:6]
    context = {
        "project": access.project,
        "assignment": assignment,
        "span": span,
        "candidates": candidates,
    }
    return render(request, "annotate/_link_panel.html", context)


# Suggestions


@require_POST
def suggestion_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _suggestion(request, slug, pk, accept=True)


@require_POST
def suggestion_dismiss(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _suggestion(request, slug, pk, accept=False)


def _suggestion(
    request: HttpRequest, slug: str, pk: int, *, accept: bool
) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    form = SuggestionForm(request.POST, assignment=assignment)
    if not form.is_valid():
        return _refused(request, form)
    data = form.cleaned_data
    where = {
        "assignment": assignment,
        "start": data["start"],
        "end": data["end"],
        "label": data["label"],
    }
    if accept:
        refused = _change(
            request, labelling.add_span, origin=Span.Origin.SUGGESTED, **where
        )
    else:
        refused = _change(request, labelling.dismiss_suggestion, **where)
    return refused or _spans_changed(request, access, assignment)


@require_POST
def suggestions_accept_all(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, assignment = _own_assignment(request, slug, pk)
    labels = {label.pk: label for label in access.project.labels.entities()}
    pending = suggestions_for(assignment, list(assignment.spans.all()))
    if refused := _change(
        request,
        labelling.accept_suggestions,
        assignment=assignment,
        suggestions=pending,
        labels=labels,
    ):
        return refused
    return _spans_changed(request, access, assignment)
