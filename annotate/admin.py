"""The Django admin: the back office for projects, documents and every annotation."""

from __future__ import annotations

from django.contrib import admin

from annotate.models import (
    Assignment,
    Document,
    Entity,
    ExportRun,
    ImportRun,
    Label,
    Membership,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)


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
    list_display = ["user", "project", "role"]
    list_filter = ["project", "role"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "project", "shortcut", "value", "colour"]
    list_filter = ["project", "kind"]
    search_fields = ["name", "description"]


@admin.register(StanceTarget)
class StanceTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "entity"]
    list_filter = ["project"]
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


class SpanInline(admin.TabularInline):
    model = Span
    extra = 0
    fields = ["start", "end", "text", "label", "entity", "origin"]
    raw_id_fields = ["entity"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "document",
        "annotator",
        "status",
        "review_state",
        "is_gold",
        "reviewer",
        "updated_at",
    ]
    list_filter = [
        "document__project",
        "status",
        "review_state",
        "is_gold",
        "annotator",
    ]
    list_select_related = ["document", "annotator", "reviewer"]
    search_fields = ["document__title", "annotator__username"]
    raw_id_fields = ["document"]
    inlines = [SpanInline]
    show_full_result_count = False


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = ["text", "label", "start", "end", "origin", "assignment"]
    list_filter = [
        "assignment__document__project",
        "label",
        "origin",
        "assignment__annotator",
    ]
    list_select_related = ["label", "assignment__document", "assignment__annotator"]
    search_fields = ["text"]
    raw_id_fields = ["assignment", "entity"]
    show_full_result_count = False


@admin.register(Stance)
class StanceAdmin(admin.ModelAdmin):
    list_display = ["target", "label", "assignment"]
    list_filter = ["assignment__document__project", "label", "assignment__annotator"]
    list_select_related = [
        "target",
        "label",
        "assignment__document",
        "assignment__annotator",
    ]
    raw_id_fields = ["assignment"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["source", "role", "label", "assignment"]
    list_filter = [
        "assignment__document__project",
        "role",
        "label",
        "assignment__annotator",
    ]
    list_select_related = [
        "source",
        "label",
        "assignment__document",
        "assignment__annotator",
    ]
    search_fields = ["source__name"]
    raw_id_fields = ["assignment", "source"]


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
