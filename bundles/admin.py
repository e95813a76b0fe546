from django.contrib import admin

from bundles.models import BundleImport
from iqf.lib.admin import NoRegexLookups


@admin.register(BundleImport)
class BundleImportAdmin(NoRegexLookups, admin.ModelAdmin):
    """The log of bundle imports that wrote something; written by the import alone."""

    list_display = ["name", "at", "imported_by", "created", "updated", "demonstration"]
    list_filter = ["demonstration"]
    list_select_related = ["imported_by"]
    search_fields = ["name"]
    ordering = ["-at"]
    readonly_fields = ["name", "imported_by", "at", "created", "updated", "demonstration"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
