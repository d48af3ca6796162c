"""The source registry: the sources of the user's projects with our annotators' ratings
beside the reference ratings, and merging duplicates. Reviewers and managers of any
project (annotators would be unblinded by others' ratings) see the sources their projects
use; merging is for superusers, and for managers of every project both sources are used
in (annotate.sources.registry.merge_refusal)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import Source
from annotate.sources.registry import (
    MergeRefused,
    can_merge_sources,
    counted_ratings,
    merge_refusal,
    registry_projects,
    reliability_by_source,
    search_sources,
    source_reliability,
    visible_sources,
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

    def __init__(self, *args, keep: Source, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep
        self.user = user

    def clean_other(self) -> Source:
        """One of the sources the user sees (another project's names are not found)."""
        value = self.cleaned_data["other"].strip()
        sources = visible_sources(self.user)
        other = (
            sources.filter(pk=int(value)).first()
            if value.isdigit() and len(value) < 19
            else sources.named(value)
        )
        if other is None:
            raise forms.ValidationError(
                "No source of your projects has this id or name."
            )
        if other.pk == self.keep.pk:
            raise forms.ValidationError("That is this source.")
        if refusal := merge_refusal(self.user, other):
            raise forms.ValidationError(refusal)
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
    sources = search_sources(query, visible_sources(request.user))
    page = Paginator(sources.order_by("name", "id"), PAGE_SIZE).get_page(
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
    refusal = merge_refusal(request.user, source)
    can_merge = not refusal
    if can_merge and form is None:
        form = MergeSourceForm(keep=source, user=request.user)
    return render(
        request,
        "annotate/source_detail.html",
        {
            "source": source,
            "roles": source_reliability(source, counted_ratings(projects)),
            "merges": source.merges.select_related("actor")[:20],
            "form": form if can_merge else None,
            # Managers learn why they cannot merge here; reviewers see nothing of it.
            "merge_refusal": refusal if can_merge_sources(request.user) else "",
        },
    )


def _visible_source_or_404(request: HtmxHttpRequest, pk: int) -> Source:
    _registry_projects_or_403(request)
    source = visible_sources(request.user).filter(pk=pk).first()
    if source is None:
        raise Http404("No source of your projects has this id.")
    return source


@require_GET
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_source_or_404(request, pk), None)


@require_POST
def source_merge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    keep = _visible_source_or_404(request, pk)
    if refusal := merge_refusal(request.user, keep):
        raise PermissionDenied(refusal)
    form = MergeSourceForm(request.POST, keep=keep, user=request.user)
    if not form.is_valid():
        return _detail(request, keep, form)
    try:
        merge = merge_into(
            keep=keep, other=form.cleaned_data["other"], actor=request.user
        )
    except MergeRefused as refused:  # a project started using one meanwhile
        form.add_error("other", str(refused))
        return _detail(request, keep, form)
    messages.success(
        request,
        f"Merged “{merge.merged_name}”: {merge.moved_ratings} ratings and "
        f"{merge.moved_documents} documents moved, {len(merge.folded_ratings)} duplicate "
        "ratings folded (kept in the merge record).",
    )
    return redirect("annotate:source-detail", pk=keep.pk)
