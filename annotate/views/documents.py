"""A project's documents: the paged, searchable list and the read-only document view."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.access import ProjectAccess, document_in, project_access
from annotate.labelling import queue
from annotate.models import Document
from annotate.views.forms import AssignForm
from annotate.views.htmx import HtmxHttpRequest

PAGE_SIZE = 50
COUNT_LIMIT = 10_000


@dataclass
class DocumentPage:
    """One page of a list in id order, cut by keyset (?after=id or ?before=id), so a
    page deep in a big project costs what the first one does."""

    object_list: list[Document]
    after: int | None  # the cursor of the next page, when there is one
    before: int | None  # the cursor of the previous page, when there is one
    count: int  # matches, counted up to COUNT_LIMIT + 1
    offset: int  # matches before this page, counted the same way

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_LIMIT

    @property
    def offset_is_capped(self) -> bool:
        return self.offset > COUNT_LIMIT

    @property
    def first_number(self) -> int:
        return self.offset + 1

    @property
    def last_number(self) -> int:
        return self.offset + len(self.object_list)

    @property
    def count_limit(self) -> int:
        return COUNT_LIMIT

    @classmethod
    def of(cls, documents, *, after: str | None, before: str | None) -> DocumentPage:
        after_id, before_id = _cursor(after), _cursor(before)
        if before_id is not None:
            rows = list(
                documents.filter(id__lt=before_id).order_by("-id")[: PAGE_SIZE + 1]
            )
            more_before, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
            more_after = bool(rows)
        else:
            start = documents if after_id is None else documents.filter(id__gt=after_id)
            rows = list(start.order_by("id")[: PAGE_SIZE + 1])
            more_after, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
            more_before = after_id is not None and bool(rows)
        # Where the page starts, so the pager can say "51–100 of 1000".
        offset = 0
        if rows and (after_id is not None or before_id is not None):
            offset = documents.filter(id__lt=rows[0].pk).count_up_to(COUNT_LIMIT)
        return cls(
            object_list=rows,
            after=rows[-1].pk if more_after else None,
            before=rows[0].pk if more_before else None,
            count=documents.count_up_to(COUNT_LIMIT),
            offset=offset,
        )


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
def document_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = project_access(request, slug)
    return list_page(request, access, query=request.GET.get("q", "").strip())


def list_page(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    *,
    query: str,
    assign_form: AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The list (or its table alone, for htmx); managers get the assignment controls,
    with `assign_form` bound when an assignment was refused, so the ticks stay."""
    documents = Document.objects.for_project(access.project).search(query).for_list()
    page = DocumentPage.of(
        documents, after=request.GET.get("after"), before=request.GET.get("before")
    )
    context = {
        "access": access,
        "project": access.project,
        "page": page,
        "query": query,
    }
    if access.can_manage:
        form = assign_form or AssignForm(project=access.project, initial={"q": query})
        context["assign_form"] = form
        context["ticked"] = set(form.data.getlist("document")) if form.is_bound else ()
    if request.htmx:
        template = "annotate/document_list.html#document-table"
        return render(request, template, context, status=status)
    # The user's own documents by state: the way back to returned and open ones.
    context["work"] = queue.work_counts(project=access.project, user=request.user)
    return render(request, "annotate/document_list.html", context, status=status)


@require_GET
def document_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
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
