"""The admin's pages for bundles: the log of imports, and the sheet behind each model's
import and export screens. The screens themselves come with every model admin
(``iqf.lib.admin.IQFModelAdmin``); the sheets are set here, once the domain apps have
registered their admins (bundles is installed after them), so that a model's screens read
and write exactly its bundle sheet's columns with the bundle's checks."""

from typing import Any

from django.contrib import admin

from bundles.models import BundleImport
from bundles.sheets.commoncore import AttributeResource, MappingReviewResource
from bundles.sheets.qualifications import (
    AwardingBodyResource,
    ModuleResource,
    ProviderResource,
    QualificationResource,
    QualificationTypeResource,
)
from bundles.sheets.roles import ClusterResource, RoleResource
from commoncore.models import Attribute, MappingReview
from iqf.lib.admin import NoRegexLookups
from qualifications.models import AwardingBody, Module, Provider, Qualification, QualificationType
from roles.models import Cluster, Role

#: The bundle sheet behind each model's import and export screens.
ADMIN_SHEETS = {
    Qualification: QualificationResource,
    Module: ModuleResource,
    AwardingBody: AwardingBodyResource,
    QualificationType: QualificationTypeResource,
    Provider: ProviderResource,
    Cluster: ClusterResource,
    Role: RoleResource,
    MappingReview: MappingReviewResource,
    Attribute: AttributeResource,
}

for model, sheet in ADMIN_SHEETS.items():
    model_admin: Any = admin.site.get_model_admin(model)
    model_admin.resource_classes = [sheet]


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
