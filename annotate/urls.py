from __future__ import annotations

from django.urls import path

from annotate.views import documents, projects

app_name = "annotate"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("p/<slug:slug>/", documents.document_list, name="document-list"),
    path(
        "p/<slug:slug>/d/<int:pk>/", documents.document_detail, name="document-detail"
    ),
]
