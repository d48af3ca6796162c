"""My work: an annotator's own versions in a project by state (in progress, returned
to them, submitted, accepted), each a link back to the annotation screen."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.access import project_access
from annotate.labelling import queue
from annotate.views.htmx import HtmxHttpRequest, refused

PAGE_SIZE = 25
TABS = ("all", "in_progress", "returned", "submitted", "accepted")
TAB_NAMES = {"all": "All", **queue.STATE_NAMES}


class MyWorkForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(tab, TAB_NAMES[tab]) for tab in TABS], required=False
    )
    page = forms.IntegerField(min_value=1, required=False)


@require_GET
def my_work(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Three queries: the counts per state, the page's size and the page."""
    access = project_access(request, slug)
    form = MyWorkForm(request.GET)
    if not form.is_valid():
        return refused(request, form)
    state = form.cleaned_data["state"] or "all"
    work = queue.work_of(project=access.project, user=request.user)
    if state == "all":
        work = work.order_by("-updated_at", "-id")
    else:
        work = work.filter(queue.STATES[state])
        # Returned work in the order `next` serves it: oldest rejection first.
        order = ("reviewed_at", "id") if state == "returned" else ("-updated_at", "-id")
        work = work.order_by(*order)
    work = work.select_related("document", "reviewer").only(
        "id",
        "status",
        "review_state",
        "review_comment",
        "reviewed_at",
        "updated_at",
        "document__title",
        "reviewer__username",
        "reviewer__first_name",
        "reviewer__last_name",
    )
    counts = queue.work_counts(project=access.project, user=request.user)
    page = Paginator(work, PAGE_SIZE).get_page(form.cleaned_data["page"])
    context = {
        "access": access,
        "project": access.project,
        "state": state,
        "tabs": [(tab, TAB_NAMES[tab], counts[tab]) for tab in TABS],
        "page": page,
        "state_name": TAB_NAMES[state],
        "rows": [
            (assignment, row_state, queue.STATE_NAMES[row_state])
            for assignment in page
            for row_state in [queue.state_of(assignment)]
        ],
    }
    template = "annotate/my_work.html"
    if request.htmx:
        template += "#my-work"
    return render(request, template, context)
