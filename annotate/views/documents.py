"""A project's documents: the paged, searchable list and the read-only document view."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.access import document_in, project_access
from annotate.models import Assignment, Document

PAGE_SIZE = 50
RECENT_WORK = 15


@require_GET
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug)
    query = request.GET.get("q", "").strip()
    documents = (
        Document.objects.for_project(access.project)
        .search(query)
        .for_list()
        .order_by("id")
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "annotate/document_list.html"
    if request.htmx:
        template += "#document-table"
    # The annotator's own recent work, to go back to a submitted document until it is reviewed.
    mine = (
        Assignment.objects.by(request.user)
        .filter(document__project=access.project)
        .select_related("document")
        .only(
            "id",
            "status",
            "review_state",
            "review_comment",
            "updated_at",
            "document__title",
        )
        .order_by("-updated_at")[:RECENT_WORK]
    )
    context = {
        "access": access,
        "project": access.project,
        "page": page,
        "query": query,
        "mine": mine,
    }
    return render(request, template, context)


@require_GET
def document_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = project_access(request, slug)
    document = document_in(access, pk)
    meta = document.meta or {}
    return render(
        request,
        "annotate/document_detail.html",
        {
            "access": access,
            "project": access.project,
            "document": document,
            "meta": meta,
        },
    )
