"""A project's documents: the paged, searchable list and the read-only document view."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.access import document_in, project_access
from annotate.models import Document

PAGE_SIZE = 50


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
    return render(
        request,
        template,
        {"access": access, "project": access.project, "page": page, "query": query},
    )


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
