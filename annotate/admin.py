"""The Django admin: the back office for projects, documents and every annotation."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from annotate.models import (
    ApiToken,
    Assignment,
    Delivery,
    Document,
    Entity,
    ExportRun,
    ImportRun,
    Invitation,
    Label,
    Membership,
    ModelRun,
    Project,
    Rating,
    ReviewEvent,
    Source,
    SourceMerge,
    Span,
    Stance,
    StanceTarget,
    Webhook,
)
from annotate.review.decisions import review_assignments, reviewable_projects


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0


class StanceTargetInline(admin.TabularInline):
    model = StanceTarget
    extra = 0
    autocomplete_fields = ["entity"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "overlap", "blind", "created_at"]
    list_filter = ["blind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, LabelInline, StanceTargetInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "is_active"]
    list_filter = ["project", "role", "is_active"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made on a project's manage page (the link is shown there
    once); here they can be read and withdrawn. Who may make projects from the web
    is the "project creators" group, under Authentication and Authorization."""

    list_display = ["invitee", "project", "role", "created_at", "expires_at", "state"]
    list_filter = ["project", "role"]
    list_select_related = ["project"]
    search_fields = ["username", "email", "project__name"]
    readonly_fields = [
        "project",
        "role",
        "email",
        "username",
        "expires_at",
        "invited_by",
        "created_at",
        "accepted_at",
        "accepted_by",
    ]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "project", "shortcut", "value", "colour", "retired"]
    list_filter = ["project", "kind", "retired"]
    search_fields = ["name", "description"]


@admin.register(StanceTarget)
class StanceTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "entity", "position", "retired"]
    list_filter = ["project", "retired"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["entity"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "factuality", "bias"]
    list_filter = ["factuality", "bias"]
    search_fields = ["name", "aliases", "domain"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "project",
        "publisher",
        "published_at",
        "language",
        "external_id",
    ]
    list_filter = ["project", "language"]
    list_select_related = ["project", "publisher"]
    search_fields = ["title", "external_id", "url"]
    raw_id_fields = ["publisher"]
    readonly_fields = ["content_hash", "created_at"]
    show_full_result_count = False


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "project", "external_id"]
    list_filter = ["project", "type"]
    search_fields = ["name", "aliases", "external_id"]


# The review back office: annotations, each admin scoped to the projects its user
# reviews or manages (superusers see all). Review state changes only through the
# actions, which go through annotate.review.decisions and so leave a ReviewEvent behind.


class ReviewActionForm(helpers.ActionForm):
    comment = forms.CharField(
        required=False,
        max_length=2000,
        label="Comment",
        widget=forms.TextInput(attrs={"size": 40}),
    )


def _in_scope(request: HttpRequest, project_id: int | None) -> bool:
    """Superusers always; staff who review or manage the project (or any, for None)."""
    user = request.user
    if user.is_superuser:
        return True
    if not (user.is_active and user.is_staff):
        return False
    projects = reviewable_projects(user)
    if project_id is not None:
        projects = projects.filter(pk=project_id)
    return projects.exists()


class ProjectFilter(admin.SimpleListFilter):
    title = "project"
    parameter_name = "project"

    def __init__(self, request, params, model, model_admin) -> None:
        self.project_path = model_admin.project_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin) -> list[tuple[int, str]]:
        projects = reviewable_projects(request.user).order_by("name")
        return [(project.pk, project.name) for project in projects.only("name")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(**{self.project_path: value})


class AnnotatorFilter(admin.SimpleListFilter):
    title = "annotator"
    parameter_name = "annotator"

    def __init__(self, request, params, model, model_admin) -> None:
        self.annotator_path = model_admin.annotator_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin) -> list[tuple[int, str]]:
        worked_here = Assignment.objects.filter(
            annotator=OuterRef("pk"),
            document__project__in=reviewable_projects(request.user),
        )
        users = get_user_model().objects.filter(Exists(worked_here))
        return [(user.pk, user.username) for user in users.order_by("username")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(**{self.annotator_path: value})


class LabelFilter(admin.SimpleListFilter):
    title = "label"
    parameter_name = "label"

    def lookups(self, request, model_admin) -> list[tuple[int, str]]:
        labels = Label.objects.filter(project__in=reviewable_projects(request.user))
        if model_admin.label_kind:
            labels = labels.filter(kind=model_admin.label_kind)
        labels = labels.select_related("project").order_by("project__name", "kind")
        return [(label.pk, f"{label.project.name} · {label.name}") for label in labels]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        if queryset.model is not Assignment:
            return queryset.filter(label=value)
        # Exists rather than joins, so an assignment is listed once.
        return queryset.filter(
            Exists(Span.objects.filter(assignment=OuterRef("pk"), label=value))
            | Exists(Stance.objects.filter(assignment=OuterRef("pk"), label=value))
            | Exists(Rating.objects.filter(assignment=OuterRef("pk"), label=value))
        )


class OriginFilter(admin.SimpleListFilter):
    """Made here, or imported from another tool (Assignment.is_imported)."""

    title = "origin"
    parameter_name = "origin"

    def __init__(self, request, params, model, model_admin) -> None:
        self.imported_path = model_admin.annotator_path.replace(
            "annotator", "is_imported"
        )
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [("manual", "made here"), ("imported", "imported")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        imported = Q(**{self.imported_path: True})
        if self.value() == "imported":
            return queryset.filter(imported)
        if self.value() == "manual":
            return queryset.exclude(imported)
        return queryset


class ReviewScopedAdmin(admin.ModelAdmin):
    project_path = "assignment__document__project"
    annotator_path = "assignment__annotator"
    label_kind: str | None = None
    action_form = ReviewActionForm
    actions = ["accept_assignments", "reject_assignments", "reopen_assignments"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.project_path}__in": reviewable_projects(request.user)}
        )

    def project_id_of(self, obj) -> int | None:
        return (
            type(obj)
            .objects.filter(pk=obj.pk)
            .values_list(self.project_path, flat=True)
            .first()
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _in_scope(request, None)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _in_scope(request, self.project_id_of(obj) if obj else None)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and _in_scope(request, None)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            self.has_view_permission(request, obj)
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """Only the user's projects' assignments and labels may be picked, even by id."""
        if not request.user.is_superuser:
            projects = reviewable_projects(request.user)
            if db_field.name == "assignment":
                kwargs["queryset"] = Assignment.objects.filter(
                    document__project__in=projects
                )
            elif db_field.name == "document":
                kwargs["queryset"] = Document.objects.filter(project__in=projects)
            elif db_field.name in {"label", "target"}:
                model = db_field.remote_field.model
                kwargs["queryset"] = model.objects.filter(project__in=projects)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        obj.assignment.touch()

    def assignments_of(self, queryset: QuerySet) -> QuerySet[Assignment]:
        return Assignment.objects.filter(pk__in=queryset.values("assignment_id"))

    def _review(self, request: HttpRequest, queryset: QuerySet, action: str) -> None:
        try:
            outcome = review_assignments(
                self.assignments_of(queryset),
                action=action,
                actor=request.user,
                comment=request.POST.get("comment", "").strip()[:2000],
                via=ReviewEvent.Via.ADMIN,
            )
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        label = ReviewEvent.Action(action).label.lower()
        self.message_user(
            request,
            f"{label}: {outcome.changed} assignment(s) changed, "
            f"{outcome.unchanged} left as they were (not submitted, or gold).",
            messages.SUCCESS if outcome.changed else messages.WARNING,
        )

    @admin.action(description="Review: accept", permissions=["change"])
    def accept_assignments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewEvent.Action.ACCEPT)

    @admin.action(description="Review: reject", permissions=["change"])
    def reject_assignments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewEvent.Action.REJECT)

    @admin.action(description="Review: mark for re-annotation", permissions=["change"])
    def reopen_assignments(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._review(request, queryset, ReviewEvent.Action.REOPEN)


class ScopedInline(admin.TabularInline):
    """An inline of an assignment: editable by whoever may change the assignment."""

    extra = 0

    def _allowed(self, request: HttpRequest, obj) -> bool:
        return _in_scope(request, obj.document.project_id if obj else None)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request, obj)

    has_change_permission = has_add_permission = has_delete_permission = (
        has_view_permission
    )


class SpanInline(ScopedInline):
    model = Span
    fields = ["start", "end", "text", "label", "entity", "origin"]
    raw_id_fields = ["entity"]


class StanceInline(ScopedInline):
    model = Stance
    fields = ["target", "label", "note"]


class RatingInline(ScopedInline):
    model = Rating
    fields = ["source", "role", "label", "rationale"]
    raw_id_fields = ["source"]


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    extra = 0
    fields = ["at", "actor", "action", "via", "comment", "previous_status"]
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _in_scope(request, obj.document.project_id if obj else None)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


REVIEW_FIELDS = [
    "status",
    "review_state",
    "reviewer",
    "review_comment",
    "reviewed_at",
    "submitted_at",
    "version",
]


@admin.register(Assignment)
class AssignmentAdmin(ReviewScopedAdmin):
    project_path = "document__project"
    annotator_path = "annotator"
    list_display = [
        "document",
        "annotator",
        "status",
        "review_state",
        "is_gold",
        "reviewer",
        "reviewed_at",
        "updated_at",
    ]
    list_filter = [
        ProjectFilter,
        AnnotatorFilter,
        LabelFilter,
        "status",
        "review_state",
        OriginFilter,
        "is_gold",
    ]
    list_select_related = ["document", "annotator", "reviewer"]
    search_fields = ["document__title", "document__external_id", "annotator__username"]
    raw_id_fields = ["document", "annotator"]
    inlines = [SpanInline, StanceInline, RatingInline, ReviewEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Review state changes only through the actions, which leave an audit trail.
        if obj is None:
            return [*REVIEW_FIELDS, "is_imported"]
        return [*REVIEW_FIELDS, "document", "annotator", "is_gold", "is_imported"]

    def assignments_of(self, queryset: QuerySet) -> QuerySet[Assignment]:
        return queryset

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            form.instance.touch()


@admin.register(Span)
class SpanAdmin(ReviewScopedAdmin):
    label_kind = Label.Kind.ENTITY
    list_display = ["text", "label", "start", "end", "origin", "assignment"]
    list_filter = [
        ProjectFilter,
        AnnotatorFilter,
        LabelFilter,
        "assignment__review_state",
        "origin",
    ]
    list_select_related = ["label", "assignment__document", "assignment__annotator"]
    search_fields = ["text", "assignment__annotator__username"]
    raw_id_fields = ["assignment", "entity"]


@admin.register(Stance)
class StanceAdmin(ReviewScopedAdmin):
    label_kind = Label.Kind.STANCE
    list_display = ["target", "label", "assignment"]
    list_filter = [
        ProjectFilter,
        AnnotatorFilter,
        LabelFilter,
        "assignment__review_state",
        OriginFilter,
    ]
    list_select_related = [
        "target",
        "label",
        "assignment__document",
        "assignment__annotator",
    ]
    search_fields = ["target__name", "note", "assignment__annotator__username"]
    raw_id_fields = ["assignment"]


@admin.register(Rating)
class RatingAdmin(ReviewScopedAdmin):
    label_kind = Label.Kind.RELIABILITY
    list_display = ["source", "role", "label", "assignment"]
    list_filter = [
        ProjectFilter,
        AnnotatorFilter,
        LabelFilter,
        "role",
        "assignment__review_state",
        OriginFilter,
    ]
    list_select_related = [
        "source",
        "label",
        "assignment__document",
        "assignment__annotator",
    ]
    search_fields = ["source__name", "rationale", "assignment__annotator__username"]
    raw_id_fields = ["assignment", "source"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReviewScopedAdmin):
    """The audit trail: read-only."""

    list_display = ["at", "actor", "action", "via", "assignment", "comment"]
    list_filter = [ProjectFilter, AnnotatorFilter, "action", "via"]
    list_select_related = ["actor", "assignment__document", "assignment__annotator"]
    search_fields = ["comment", "actor__username", "assignment__document__title"]
    actions = []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SourceMerge)
class SourceMergeAdmin(admin.ModelAdmin):
    list_display = ["at", "merged_name", "kept", "actor", "moved_ratings"]
    search_fields = ["merged_name", "kept__name"]
    readonly_fields = [field.name for field in SourceMerge._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "project",
        "user",
        "format",
        "status",
        "read",
        "imported",
        "duplicates",
        "rejected",
        "started_at",
    ]
    list_filter = ["project", "status", "format"]
    readonly_fields = [field.name for field in ImportRun._meta.fields]


@admin.register(ExportRun)
class ExportRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "user", "format", "status", "lines", "started_at"]
    list_filter = ["project", "status", "format"]
    readonly_fields = [field.name for field in ExportRun._meta.fields]


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "project",
        "kind",
        "status",
        "trigger",
        "training_documents",
        "heldout_documents",
        "duration",
        "queued_at",
    ]
    list_filter = ["project", "kind", "status"]
    readonly_fields = [field.name for field in ModelRun._meta.fields]


# The API: tokens (never shown, only revoked), webhooks and their delivery log.


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "shown", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "shown", "created_at", "last_used_at"]
    fields = ["user", "name", "shown", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by their users (or create_api_token), shown once


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = [
        "event",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "created_at",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "project", "active", "created_at"]
    list_filter = ["active", "project"]
    search_fields = ["url"]
    exclude = ["secret"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "webhook",
        "status",
        "attempts",
        "response_status",
        "created_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["webhook__url", "last_error"]
    readonly_fields = [
        "webhook", "event", "payload", "status", "attempts", "response_status",
        "last_error", "next_attempt_at", "created_at", "delivered_at",
    ]  # fmt: skip
