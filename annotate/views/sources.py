"""The source registry: every source with our annotators' ratings beside the reference
ratings, and merging duplicates. Reviewers and managers of any project (annotators would
be unblinded by others' ratings); merging is for managers and superusers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import Source
from annotate.sources.registry import (
    can_merge_sources,
    counted_ratings,
    registry_projects,
    reliability_by_source,
    search_sources,
    source_reliability,
)
from annotate.sources.registry import merge_sources as merge_into
from annotate.views.htmx import HtmxHttpRequest

PAGE_SIZE = 50


class MergeSourceForm(forms.Form):
    other = forms.CharField(
        max_length=300,
        label="Merge into this one",
        help_text="The id or the name (or an alias) of the duplicate source.",
    )

    def __init__(self, *args, keep: Source, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep

    def clean_other(self) -> Source:
        value = self.cleaned_data["other"].strip()
        other = (
            Source.objects.filter(pk=int(value)).first()
            if value.isdigit() and len(value) < 19
            else Source.objects.named(value)
        )
        if other is None:
            raise forms.ValidationError("No source has this id or name.")
        if other.pk == self.keep.pk:
            raise forms.ValidationError("That is this source.")
        return other


def _registry_projects_or_403(request: HtmxHttpRequest):
    projects = registry_projects(request.user)
    if not projects.exists():
        raise PermissionDenied("The source registry is for reviewers and managers.")
    return projects


@require_GET
def source_list(request: HtmxHttpRequest) -> HttpResponse:
    projects = _registry_projects_or_403(request)
    query = request.GET.get("q", "").strip()[:300]
    page = Paginator(search_sources(query).order_by("name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    aggregates = reliability_by_source(
        [source.pk for source in page.object_list], counted_ratings(projects)
    )
    rows = [
        (
            source,
            aggregates.get(source.pk, {}).get("publisher"),
            aggregates.get(source.pk, {}).get("cited"),
        )
        for source in page.object_list
    ]
    template = "annotate/source_list.html"
    if request.htmx:
        template += "#source-table"
    return render(request, template, {"page": page, "rows": rows, "query": query})


def _detail(
    request: HtmxHttpRequest, source: Source, form: MergeSourceForm | None
) -> HttpResponse:
    projects = _registry_projects_or_403(request)
    can_merge = can_merge_sources(request.user)
    if can_merge and form is None:
        form = MergeSourceForm(keep=source)
    return render(
        request,
        "annotate/source_detail.html",
        {
            "source": source,
            "roles": source_reliability(source, counted_ratings(projects)),
            "merges": source.merges.select_related("actor")[:20],
            "form": form if can_merge else None,
        },
    )


@require_GET
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _registry_projects_or_403(request)
    return _detail(request, get_object_or_404(Source, pk=pk), None)


@require_POST
def source_merge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not can_merge_sources(request.user):
        raise PermissionDenied("Merging sources is for managers.")
    keep = get_object_or_404(Source, pk=pk)
    form = MergeSourceForm(request.POST, keep=keep)
    if not form.is_valid():
        return _detail(request, keep, form)
    merge = merge_into(keep=keep, other=form.cleaned_data["other"], actor=request.user)
    messages.success(
        request,
        f"Merged “{merge.merged_name}”: {merge.moved_ratings} ratings and "
        f"{merge.moved_documents} documents moved, {len(merge.folded_ratings)} duplicate "
        "ratings folded (kept in the merge record).",
    )
    return redirect("annotate:source-detail", pk=keep.pk)
