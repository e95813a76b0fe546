"""Helpers for tests of generated data."""

from commoncore.models import Attribute, GridMark, MappingReview, ReviewEvent
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification


def wipe_generated() -> None:
    """Delete every generated row but the users, leaving what migrations installed."""
    for model in (
        Attribute,
        GridMark,
        ReviewEvent,
        MappingReview,
        Offering,
        Provider,
        Prerequisite,
        RoleQualification,
        RoleCluster,
        Role,
        Cluster,
        ClusterScheme,
        QualificationModule,
        Module,
    ):
        model.objects.all().delete()
    Qualification.objects.update(status=Qualification.Status.WITHDRAWN, superseded_by=None)
    Qualification.objects.all().delete()
    AwardingBody.objects.all().delete()
