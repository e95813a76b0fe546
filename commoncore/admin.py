from django.contrib import admin

from commoncore.models import Area, Attribute, Element, Framework, MappingReview
from commoncore.resources import AttributeResource, MappingReviewResource
from iqf.lib.admin import IQFModelAdmin


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


@admin.register(MappingReview)
class MappingReviewAdmin(IQFModelAdmin):
    """Mapping reviews are changed only through the mapping workflow's services; here
    they are read and exported."""

    resource_classes = [MappingReviewResource]
    list_display = ["qualification", "framework", "round", "status", "mapped_by", "moderated_by",
                    "submitted_at", "decided_at"]
    list_filter = ["status", "framework"]
    search_fields = ["qualification__ref", "qualification__title", "mapped_by__username"]
    ordering = ["-submitted_at"]
    list_select_related = ["qualification", "framework", "mapped_by", "moderated_by"]
    readonly_fields = [f.name for f in MappingReview._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False


@admin.register(Attribute)
class AttributeAdmin(IQFModelAdmin):
    resource_classes = [AttributeResource]
    list_display = ["subject", "area", "element", "basis", "review", "published_at"]
    list_filter = ["area__framework", "area", "basis"]
    search_fields = ["module__ref", "module__title", "qualification__ref", "qualification__title"]
    ordering = ["area__framework", "area__number"]
    list_select_related = ["area__framework", "element", "module", "qualification",
                           "review__qualification", "review__framework"]
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
