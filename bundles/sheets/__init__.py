"""The sheets of a bundle, in the order they are imported (each after the sheets its rows
refer to), and what a sheet read from a file holds."""

from dataclasses import dataclass

from bundles.resources import BundleResource
from bundles.sheets.commoncore import AttributeResource, MappingReviewResource
from bundles.sheets.qualifications import (
    AwardingBodyResource,
    ModuleResource,
    OfferingResource,
    PrerequisiteResource,
    ProviderResource,
    QualificationModuleResource,
    QualificationResource,
    QualificationTypeResource,
)
from bundles.sheets.roles import (
    ClusterResource,
    RoleClusterResource,
    RoleQualificationResource,
    RoleResource,
)

SHEETS: list[type[BundleResource]] = [
    ClusterResource,
    RoleResource,
    RoleClusterResource,
    QualificationTypeResource,
    AwardingBodyResource,
    QualificationResource,
    ModuleResource,
    QualificationModuleResource,
    PrerequisiteResource,
    RoleQualificationResource,
    ProviderResource,
    OfferingResource,
    MappingReviewResource,
    AttributeResource,
]
SHEET_NAMES = [resource.sheet for resource in SHEETS]


class BundleError(Exception):
    """A bundle that cannot be imported; ``messages`` says where and why."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: list[str]
    rows: list[list[str]]
    #: the spreadsheet row number of each data row (the header is row 1)
    row_numbers: list[int]


def columns(sheet: str) -> list[str]:
    resource = next(r for r in SHEETS if r.sheet == sheet)
    return resource.columns()
