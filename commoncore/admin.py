from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from import_export import resources
from import_export.admin import ExportMixin

from commoncore import admin_views
from commoncore.models import (
    Area,
    Attribute,
    Element,
    Framework,
    MappingReview,
    ModerationPolicy,
    ReviewEvent,
    ReviewStatus,
)
from iqf.lib.admin import IQFModelAdmin, NoRegexLookups, formula_safe


class AreaInline(admin.TabularInline):
    model = Area
    fields = ["number", "title", "short_title"]
    extra = 0

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Framework)
class FrameworkAdmin(IQFModelAdmin):
    list_display = ["name", "edition", "is_default"]
    search_fields = ["name"]
    ordering = ["-is_default", "name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AreaInline]


@admin.register(Element)
class ElementAdmin(IQFModelAdmin):
    list_display = ["title", "kind", "area", "order"]
    list_filter = ["area__framework", "kind"]
    search_fields = ["title", "area__title"]
    ordering = ["area__framework", "area__number", "order"]
    list_select_related = ["area__framework"]


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    fields = ("at", "kind", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "what happened"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(MappingReview)
class MappingReviewAdmin(IQFModelAdmin):
    """Grids change only through the mapping workflow (commoncore.services), on the grid
    and moderation pages this admin adds; here they are listed, read and exported."""

    list_display = [
        "qualification",
        "framework",
        "round",
        "status_text",
        "mapped_by",
        "moderated_by",
        "submitted_at",
        "decided_at",
        "grid_link",
    ]
    list_filter = ["status", "framework", "sampled"]
    search_fields = ["qualification__ref", "qualification__title", "mapped_by__username"]
    ordering = ["-submitted_at"]
    list_select_related = ["qualification", "framework", "mapped_by", "moderated_by"]
    readonly_fields = [f.name for f in MappingReview._meta.fields] + [
        "round",
        "times_returned",
        "sample_rate",
        "sample_draw",
        "sampled",
        "version",
    ]
    inlines = [ReviewEventInline]

    def get_urls(self):
        return [
            path("queue/", admin_views.as_view(self.admin_site, admin_views.queue), name="commoncore_queue"),
            path(
                "mappers/",
                admin_views.as_view(self.admin_site, admin_views.mappers),
                name="commoncore_mappers",
            ),
            path(
                "qualification/<int:qualification_id>/",
                admin_views.as_view(self.admin_site, admin_views.grids_of_qualification),
                name="commoncore_grids",
            ),
            path(
                "qualification/<int:qualification_id>/<slug:framework_slug>/",
                admin_views.as_view(self.admin_site, admin_views.grid),
                name="commoncore_grid",
            ),
            path(
                "<int:review_id>/moderate/",
                admin_views.as_view(self.admin_site, admin_views.moderate),
                name="commoncore_moderate",
            ),
        ] + super().get_urls()

    @admin.display(description="status", ordering="status")
    def status_text(self, obj: MappingReview) -> str:
        if obj.status == ReviewStatus.ACCEPTED:
            return f"Accepted without moderation ({obj.moderation_note})"
        return obj.get_status_display()

    @admin.display(description="grid")
    def grid_link(self, obj: MappingReview) -> str:
        if obj.status == ReviewStatus.SUBMITTED:
            return format_html(
                '<a href="{}">Moderate</a>', reverse("admin:commoncore_moderate", args=[obj.pk])
            )
        return format_html(
            '<a href="{}">Open</a>',
            reverse("admin:commoncore_grid", args=[obj.qualification_id, obj.framework.slug]),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        # A sheet could publish a grid under any names: its own mapper's work approved by
        # the person importing it. Grids change state through the moderation screens, and
        # arrive as records only in a bundle, which the operator imports.
        return False


class ReviewEventResource(resources.ModelResource):
    class Meta:
        model = ReviewEvent
        fields = [
            "at",
            "kind",
            "review__qualification__ref",
            "review__framework__name",
            "review__round",
            "mapper__username",
            "actor__username",
            "note",
        ]
        export_order = fields


@admin.register(ReviewEvent)
class ReviewEventAdmin(NoRegexLookups, ExportMixin, admin.ModelAdmin):
    """Every transition of the mapping workflow; read-only, exportable."""

    resource_classes = [ReviewEventResource]
    list_display = ["at", "kind", "review", "mapper", "actor", "note"]
    list_filter = ["kind", "review__framework"]
    search_fields = ["review__qualification__ref", "mapper__username", "actor__username", "note"]
    list_select_related = ["review__qualification", "review__framework", "mapper", "actor"]
    date_hierarchy = "at"
    show_facets = admin.ShowFacets.ALWAYS

    def get_data_for_export(self, request, queryset, **kwargs):
        return formula_safe(super().get_data_for_export(request, queryset, **kwargs))

    def get_export_queryset(self, request):
        return (
            super()
            .get_export_queryset(request)
            .select_related("review__qualification", "review__framework", "mapper", "actor")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModerationPolicy)
class ModerationPolicyAdmin(IQFModelAdmin):
    """Policies are set on the mappers page, through the workflow; here they are read."""

    list_display = ["mapper", "mode", "sample_rate", "set_by", "updated_at"]
    list_select_related = ["mapper", "set_by"]
    readonly_fields = [f.name for f in ModerationPolicy._meta.fields]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": "Set policies on the mappers page."}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False


@admin.register(Attribute)
class AttributeAdmin(IQFModelAdmin):
    list_display = ["subject", "area", "element", "basis", "review", "published_at"]
    list_filter = ["area__framework", "area", "basis"]
    search_fields = ["module__ref", "module__title", "qualification__ref", "qualification__title"]
    ordering = ["area__framework", "area__number"]
    list_select_related = [
        "area__framework",
        "element",
        "module",
        "qualification",
        "review__qualification",
        "review__framework",
    ]
    readonly_fields = [f.name for f in Attribute._meta.fields]

    @admin.display(description="module or qualification")
    def subject(self, obj: Attribute) -> str:
        return str(obj.module or obj.qualification)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False
