"""The staff site: Django's admin with the IQF's own index page."""

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse

from commoncore.models import MappingReview, ReviewStatus


class IQFAdminSite(admin.AdminSite):
    site_header = "IQF administration"
    site_title = "IQF admin"
    index_title = "Records and what needs attention"

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard": dashboard(request)}
        return super().index(request, extra_context)


def dashboard(request) -> dict:
    """Counts for the admin index, in a fixed number of queries."""
    # Imported here: the admin site is built before the apps' models are ready.
    from qualifications.admin import verification_due_before
    from qualifications.models import Module, Provider, Qualification
    from roles.models import Role

    due = verification_due_before()
    qualifications = Qualification.objects.aggregate(
        total=Count("id"),
        current=Count("id", filter=Q(status=Qualification.Status.CURRENT)),
        unverified=Count(
            "id",
            filter=Q(status=Qualification.Status.CURRENT)
            & (Q(last_verified__isnull=True) | Q(last_verified__lt=due)),
        ),
    )
    reviews = MappingReview.objects.aggregate(
        submitted=Count("id", filter=Q(status=ReviewStatus.SUBMITTED)),
        returned=Count("id", filter=Q(status=ReviewStatus.RETURNED)),
    )
    changelist = reverse("admin:qualifications_qualification_changelist")
    reviews_url = reverse("admin:commoncore_mappingreview_changelist")
    counts = [
        ("Qualifications", qualifications["total"], changelist),
        ("Modules", Module.objects.count(), reverse("admin:qualifications_module_changelist")),
        ("Roles", Role.objects.count(), reverse("admin:roles_role_changelist")),
        ("Providers", Provider.objects.count(), reverse("admin:qualifications_provider_changelist")),
    ]
    attention = [
        (
            "Current qualifications not verified in the last 12 months",
            qualifications["unverified"],
            f"{changelist}?status__exact=current&verified=no",
        ),
        ("Grids awaiting moderation", reviews["submitted"], reverse("admin:commoncore_queue")),
        ("Grids returned to their mapper", reviews["returned"],
         f"{reviews_url}?status__exact=returned"),
    ]
    mapping = [
        ("Moderation queue and your grids", reverse("admin:commoncore_queue")),
        ("Mappers, policies and agreement rates", reverse("admin:commoncore_mappers")),
        ("Everything that happened to grids", reverse("admin:commoncore_reviewevent_changelist")),
    ]
    return {"counts": counts, "attention": attention, "mapping": mapping}
