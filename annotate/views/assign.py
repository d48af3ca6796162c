"""Direct assignment from the document list: a manager gives the ticked documents (or
every one matching the search) to named people of the project. What was assigned,
and why the rest was not, comes back as a message on the list."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from annotate.access import Role, project_access
from annotate.models import Document
from annotate.projects.assignments import MOST_DOCUMENTS, Outcome, assign_documents
from annotate.views.documents import list_page
from annotate.views.forms import AssignForm
from annotate.views.htmx import HtmxHttpRequest, form_problems


@require_POST
def assign(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug, at_least=Role.MANAGER)
    form = AssignForm(request.POST, project=access.project)
    query = request.POST.get("q", "").strip()
    if not form.is_valid():
        messages.error(request, form_problems(form))
        return list_page(request, access, query=query, assign_form=form, status=400)
    if form.cleaned_data["everything"]:
        matching = Document.objects.for_project(access.project).search(query)
        ids = list(
            matching.order_by("id").values_list("id", flat=True)[: MOST_DOCUMENTS + 1]
        )
    else:
        ids = form.cleaned_data["document"]
    if len(ids) > MOST_DOCUMENTS:
        messages.error(
            request,
            f"That is more than {MOST_DOCUMENTS} documents: narrow the search, "
            "then assign again.",
        )
        return list_page(request, access, query=query, assign_form=form, status=400)
    outcomes = assign_documents(
        project=access.project,
        document_ids=ids,
        annotators=form.cleaned_data["annotators"],
        assigned_by=request.user,
    )
    for outcome in outcomes:
        messages.info(request, said(outcome, overlap=access.project.overlap))
    back = reverse("annotate:document-list", args=[slug])
    return redirect(back + (f"?{urlencode({'q': query})}" if query else ""))


def said(outcome: Outcome, *, overlap: int) -> str:
    """One line per person: how many were assigned, and why the others were not."""
    n = outcome.assigned
    line = f"{outcome.annotator.username}: {n} document{'s' if n != 1 else ''} assigned"
    reasons = []
    if outcome.already_theirs:
        reasons.append(f"{outcome.already_theirs} they already had")
    if outcome.full:
        reasons.append(
            f"{outcome.full} already with {overlap} annotator{'s' if overlap != 1 else ''}"
            " (the project's overlap)"
        )
    return line + (f"; not assigned: {', '.join(reasons)}." if reasons else ".")
