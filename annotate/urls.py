from __future__ import annotations

from django.urls import path

from annotate.views import documents, imports, projects, sources, statistics

app_name = "annotate"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("p/<slug:slug>/", documents.document_list, name="document-list"),
    path(
        "p/<slug:slug>/d/<int:pk>/", documents.document_detail, name="document-detail"
    ),
    path("p/<slug:slug>/import/", imports.import_page, name="import"),
    path("p/<slug:slug>/import/<int:pk>/", imports.import_run, name="import-run"),
    path("p/<slug:slug>/stats/", statistics.project_stats, name="project-stats"),
    path("sources/", sources.source_list, name="source-list"),
    path("sources/<int:pk>/", sources.source_detail, name="source-detail"),
    path("sources/<int:pk>/merge/", sources.source_merge, name="source-merge"),
]
