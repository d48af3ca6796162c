from __future__ import annotations

from django.urls import path

from annotate.views import (
    annotate,
    assign,
    documents,
    exports,
    imports,
    invitations,
    label_editor,
    manage,
    model_server,
    mywork,
    people,
    project_new,
    projects,
    recommenders,
    review,
    runs,
    sources,
    statistics,
    tokens,
)

app_name = "annotate"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("projects/new/", project_new.project_new, name="project-new"),
    path(
        "invitations/<str:token>/",
        invitations.invitation_open,
        name="invitation",
    ),
    path("p/<slug:slug>/", documents.document_list, name="document-list"),
    path(
        "p/<slug:slug>/d/<int:pk>/", documents.document_detail, name="document-detail"
    ),
    path("p/<slug:slug>/manage/", manage.manage_project, name="manage"),
    path(
        "p/<slug:slug>/manage/models/",
        model_server.model_server_page,
        name="model-server",
    ),
    path("p/<slug:slug>/manage/labels/", label_editor.label_add, name="label-add"),
    path(
        "p/<slug:slug>/manage/labels/<int:pk>/",
        label_editor.label_edit,
        name="label-edit",
    ),
    path("p/<slug:slug>/manage/targets/", label_editor.target_add, name="target-add"),
    path(
        "p/<slug:slug>/manage/targets/<int:pk>/",
        label_editor.target_edit,
        name="target-edit",
    ),
    path("p/<slug:slug>/manage/people/invite/", people.invite, name="invite"),
    path(
        "p/<slug:slug>/manage/people/<int:pk>/",
        people.member_edit,
        name="member-edit",
    ),
    path(
        "p/<slug:slug>/manage/invitations/<int:pk>/revoke/",
        people.invitation_revoke,
        name="invitation-revoke",
    ),
    path("p/<slug:slug>/assign/", assign.assign, name="assign"),
    path("p/<slug:slug>/next/", annotate.next_document, name="next"),
    path("p/<slug:slug>/mine/", mywork.my_work, name="my-work"),
    path("p/<slug:slug>/labels.css", annotate.labels_css, name="labels-css"),
    path("p/<slug:slug>/a/<int:pk>/", annotate.annotate_page, name="annotate"),
    path("p/<slug:slug>/a/<int:pk>/spans/", annotate.span_create, name="span-create"),
    path(
        "p/<slug:slug>/a/<int:pk>/spans/<int:span_pk>/label/",
        annotate.span_relabel,
        name="span-relabel",
    ),
    path(
        "p/<slug:slug>/a/<int:pk>/spans/<int:span_pk>/delete/",
        annotate.span_delete,
        name="span-delete",
    ),
    path(
        "p/<slug:slug>/a/<int:pk>/spans/<int:span_pk>/link/",
        annotate.span_link,
        name="span-link",
    ),
    path(
        "p/<slug:slug>/a/<int:pk>/suggestions/accept/",
        annotate.suggestion_accept,
        name="suggestion-accept",
    ),
    path(
        "p/<slug:slug>/a/<int:pk>/suggestions/dismiss/",
        annotate.suggestion_dismiss,
        name="suggestion-dismiss",
    ),
    path(
        "p/<slug:slug>/a/<int:pk>/suggestions/accept-all/",
        annotate.suggestions_accept_all,
        name="suggestions-accept-all",
    ),
    path("p/<slug:slug>/a/<int:pk>/undo/", annotate.undo, name="undo"),
    path("p/<slug:slug>/a/<int:pk>/stances/", annotate.stance_set, name="stance-set"),
    path("p/<slug:slug>/a/<int:pk>/ratings/", annotate.rating_set, name="rating-set"),
    path("p/<slug:slug>/a/<int:pk>/submit/", annotate.submit, name="submit"),
    path("p/<slug:slug>/a/<int:pk>/skip/", annotate.skip, name="skip"),
    path("p/<slug:slug>/import/", imports.import_page, name="import"),
    path("p/<slug:slug>/import/<int:pk>/", imports.import_run, name="import-run"),
    path(
        "p/<slug:slug>/import/<int:pk>/retry/", runs.import_retry, name="import-retry"
    ),
    path("p/<slug:slug>/export/", exports.export_page, name="export"),
    path(
        "p/<slug:slug>/export/stream.jsonl", exports.export_stream, name="export-stream"
    ),
    path("p/<slug:slug>/export/<int:pk>/", exports.export_run, name="export-run"),
    path(
        "p/<slug:slug>/export/<int:pk>/retry/", runs.export_retry, name="export-retry"
    ),
    path(
        "p/<slug:slug>/export/<int:pk>/download/",
        exports.export_download,
        name="export-download",
    ),
    path("p/<slug:slug>/stats/", statistics.project_stats, name="project-stats"),
    path(
        "p/<slug:slug>/stats/recompute/",
        statistics.recompute_stats,
        name="project-stats-recompute",
    ),
    path(
        "p/<slug:slug>/stats/recommenders/",
        recommenders.recommenders_section,
        name="recommenders",
    ),
    path("p/<slug:slug>/models/train/", recommenders.train_now, name="train-now"),
    path(
        "p/<slug:slug>/models/<int:pk>/download/",
        recommenders.model_download,
        name="model-download",
    ),
    path("p/<slug:slug>/review/", review.queue_page, name="review-queue"),
    path("p/<slug:slug>/review/<int:pk>/", review.adjudicate, name="adjudicate"),
    path(
        "p/<slug:slug>/review/<int:pk>/next/", review.next_in_queue, name="review-next"
    ),
    path("p/<slug:slug>/review/<int:pk>/take/", review.take, name="review-take"),
    path("p/<slug:slug>/review/<int:pk>/gold/", review.gold_edit, name="review-gold"),
    path(
        "p/<slug:slug>/review/<int:pk>/agreed/",
        review.take_agreed,
        name="review-agreed",
    ),
    path("p/<slug:slug>/review/<int:pk>/decide/", review.decide, name="review-decide"),
    path("account/tokens/", tokens.api_tokens, name="api-tokens"),
    path("sources/", sources.source_list, name="source-list"),
    path("sources/<int:pk>/", sources.source_detail, name="source-detail"),
    path("sources/<int:pk>/merge/", sources.source_merge, name="source-merge"),
]
