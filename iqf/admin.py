"""The staff site: Django's admin with the IQF's own index page and, where settings ask
for it (production by default), a second factor at sign-in."""

import functools

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpResponsePermanentRedirect
from django.urls import re_path, reverse

from commoncore.models import MappingReview, ReviewStatus


class IQFAdminSite(admin.AdminSite):
    site_header = "IQF administration"
    site_title = "IQF admin"
    index_title = "Records and what needs attention"

    # With STAFF_TWO_FACTOR, signing in takes a password and the current code of the
    # person's authenticator app (django-otp TOTP), and a session signed in without that
    # code is not let in.
    # (properties: read from the settings on each sign-in)
    @property
    def login_form(self):  # type: ignore[override]
        return two_factor_form() if settings.STAFF_TWO_FACTOR else None

    @property
    def login_template(self):  # type: ignore[override]
        return "otp/admin111/login.html" if settings.STAFF_TWO_FACTOR else None

    def has_permission(self, request):
        return super().has_permission(request) and (
            not settings.STAFF_TWO_FACTOR or request.user.is_verified()
        )

    def get_urls(self):
        # The log of bundle imports was commoncore's until it moved to the bundles app:
        # its old addresses lead to the new ones.
        return [re_path(r"^commoncore/bundleimport/(?P<rest>.*)$", moved_bundle_import), *super().get_urls()]

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard": dashboard(request)}
        return super().index(request, extra_context)


def moved_bundle_import(request, rest: str):
    target = reverse("admin:bundles_bundleimport_changelist") + rest
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(target + ("?" + query if query else ""))


@functools.cache
def two_factor_form():
    """django-otp's admin sign-in form, which needs the device chosen from a list it shows
    after a first attempt: each person here has one authenticator app (totp_device), so
    that one is used and the password and code go in together."""
    from django_otp import devices_for_user
    from django_otp.admin import OTPAdminAuthenticationForm

    class OneDeviceForm(OTPAdminAuthenticationForm):
        def _chosen_device(self, user):
            chosen = super()._chosen_device(user)
            if chosen is None:
                devices = list(devices_for_user(user, for_verify=True))
                if len(devices) == 1:
                    chosen = devices[0]
            return chosen

    return OneDeviceForm


def dashboard(request) -> dict:
    """Counts for the admin index, in a fixed number of queries."""
    # Imported here: the admin site is built before the apps' models are ready.
    from qualifications.admin import verification_due_before
    from qualifications.models import Module, Provider, Qualification, current_qualification
    from roles.models import Role

    due = verification_due_before()
    qualifications = Qualification.objects.aggregate(
        total=Count("id"),
        current=Count("id", filter=current_qualification()),
        unverified=Count(
            "id",
            filter=current_qualification() & (Q(last_verified__isnull=True) | Q(last_verified__lt=due)),
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
        ("Grids returned to their mapper", reviews["returned"], f"{reviews_url}?status__exact=returned"),
    ]
    mapping = [
        ("Moderation queue and your grids", reverse("admin:commoncore_queue")),
        ("Mappers, policies and agreement rates", reverse("admin:commoncore_mappers")),
        ("Everything that happened to grids", reverse("admin:commoncore_reviewevent_changelist")),
    ]
    return {"counts": counts, "attention": attention, "mapping": mapping}
