"""Keeping ``Qualification.offered_regions`` equal to what offerings and providers say.

A qualification is offered in a region when a provider of that region, not archived,
offers it. The finder counts and filters qualifications by region on every page, so each
qualification carries its regions as one integer: the sum of their ``Region.mask``. The
integer is derived: every write to an offering or a provider refreshes it for the
qualifications concerned, in the same transaction (the signal handlers below for rows
saved one by one; imports and the generator, which write in bulk, call :func:`refresh`
once for all their rows). A save of an existing qualification leaves the integer alone
(``Qualification.save``); one that writes it is refreshed after. ``manage.py
refresh_coverage`` rebuilds it whole.
"""

from collections.abc import Iterable

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThan
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from iqf.lib.derived import refresh_column
from qualifications.models import Offering, Provider, Qualification, Region


def mask_of(regions: Iterable[Region]) -> int:
    """The integer standing for a set of regions."""
    mask = 0
    for region in regions:
        mask |= region.mask
    return mask


def offered_in(regions: Iterable[Region]) -> Q:
    """For filtering or counting qualifications: offered in any of the regions."""
    return Q(GreaterThan(F("offered_regions").bitand(mask_of(regions)), 0))


def derived_mask(offering: type[models.Model] = Offering) -> Coalesce:
    """The regions of the qualification ``OuterRef("pk")``, from its offerings by
    providers that are not archived. Takes the model so that a migration can pass its own."""
    bit = Cast(1, models.BigIntegerField()).bitleftshift(F("provider__region__bit"))
    regions = (
        offering.objects.filter(qualification=OuterRef("pk"), provider__is_archived=False,
                                provider__region__isnull=False)
        .order_by().values("qualification")
        .annotate(mask=Sum(bit, distinct=True)).values("mask")
    )
    return Coalesce(Subquery(regions, output_field=models.BigIntegerField()), 0,
                    output_field=models.BigIntegerField())


def refresh(qualification_ids: Iterable[int] | None = None, *,
            qualification: type[models.Model] = Qualification,
            offering: type[models.Model] = Offering) -> int:
    """Recompute ``offered_regions`` of the given qualifications (None: of all of them),
    writing only those that change; returns how many did."""
    return refresh_column(qualification, "offered_regions", derived_mask(offering),
                          qualification_ids)


def offered_by(provider_ids: Iterable[int]) -> set[int]:
    """The qualifications any of the providers offers."""
    return set(Offering.objects.filter(provider_id__in=list(provider_ids))
               .values_list("qualification_id", flat=True).distinct())


# -- rows saved one by one (the admin, tests): refreshed as they are written -----------


@receiver(post_save, sender=Offering, dispatch_uid="iqf-regions-offering-saved")
@receiver(post_delete, sender=Offering, dispatch_uid="iqf-regions-offering-deleted")
def _offering_written(sender, instance: Offering, **kwargs) -> None:
    refresh([instance.qualification_id])


@receiver(post_save, sender=Provider, dispatch_uid="iqf-regions-provider-saved")
def _provider_saved(sender, instance: Provider, created: bool, **kwargs) -> None:
    if not created:  # a new provider offers nothing yet
        refresh(offered_by([instance.pk]))


@receiver(post_save, sender=Qualification, dispatch_uid="iqf-regions-qualification-saved")
def _qualification_saved(sender, instance: Qualification, created: bool,
                         update_fields=None, **kwargs) -> None:
    # A save that wrote the mask wrote what it read, which a concurrent write may have
    # outdated (an existing row is saved without it: Qualification.save).
    if not created and (update_fields is None or "offered_regions" in update_fields):
        refresh([instance.pk])
