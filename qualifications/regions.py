"""Keeping ``Qualification.offered_regions`` equal to what offerings and providers say.

A qualification is offered in a region when a provider of that region, not archived,
offers it. The finder counts and filters qualifications by region on every page, so each
qualification carries its regions as one integer: the sum of their ``Region.mask``. The
integer is derived: every write to an offering or a provider refreshes it for the
qualifications concerned, in the same transaction (the signal handlers below for rows
saved one by one; imports and the generator, which write in bulk, call :func:`refresh`
once for all their rows). A save of an existing qualification leaves the integer alone
(``Qualification.save``); one that writes it is refreshed after. ``manage.py
refresh_derived`` rebuilds it whole.
"""

from collections.abc import Iterable

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThan

from iqf.lib.derived import Derived, Source, Stale, check_column, refresh_column
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


def derived_mask() -> Coalesce:
    """The regions of the qualification ``OuterRef("pk")``, from its offerings by
    providers that are not archived."""
    # (the stubs take a shift by a whole number only; Django shifts by any expression)
    bit = Cast(Value(1), models.BigIntegerField()).bitleftshift(F("provider__region__bit"))  # type: ignore[arg-type]
    regions = (
        Offering.objects.filter(
            qualification=OuterRef("pk"), provider__is_archived=False, provider__region__isnull=False
        )
        .order_by()
        .values("qualification")
        .annotate(mask=Sum(bit, distinct=True))
        .values("mask")
    )
    return Coalesce(
        Subquery(regions, output_field=models.BigIntegerField()), 0, output_field=models.BigIntegerField()
    )


def refresh(qualification_ids: Iterable[int] | None = None) -> int:
    """Recompute ``offered_regions`` of the given qualifications (None: of all of them),
    writing only those that change; returns how many did."""
    return refresh_column(Qualification, "offered_regions", derived_mask(), qualification_ids)


def check(qualification_ids: Iterable[int] | None = None) -> list[Stale]:
    """The qualifications (of the given ids, or all) whose stored regions are stale."""
    return check_column(Qualification, "offered_regions", derived_mask(), qualification_ids)


def offered_by(provider_ids: Iterable[int]) -> set[int]:
    """The qualifications any of the providers offers."""
    return set(
        Offering.objects.filter(provider_id__in=list(provider_ids))
        .values_list("qualification_id", flat=True)
        .distinct()
    )


def _offered(offerings: models.QuerySet) -> models.QuerySet:
    return offerings.order_by().values_list("qualification_id", flat=True).distinct()


OFFERED_REGIONS = Derived(
    name="offered regions",
    stored_in="qualifications_qualification.offered_regions",
    sources=(
        # a save that writes the stored value writes what it read, which a concurrent
        # write may have outdated (a save of an existing row leaves it: Qualification.save)
        Source(
            Qualification,
            reach=lambda rows: rows.values_list("pk", flat=True),
            reach_row=lambda qualification: [qualification.pk],
            fields=frozenset({"offered_regions"}),
            guarded=False,
            on_create=False,
        ),
        Source(
            Offering,
            reach=lambda rows: rows.order_by().values_list("qualification_id", flat=True),
            reach_row=lambda offering: [offering.qualification_id],
            moves=True,
            fields=frozenset({"qualification", "qualification_id", "provider", "provider_id"}),
        ),
        Source(
            Provider,
            reach=lambda rows: _offered(Offering.objects.filter(provider__in=rows)),
            fields=frozenset({"is_archived", "region", "region_id"}),
            on_create=False,
        ),
        Source(
            Region,
            reach=lambda rows: _offered(Offering.objects.filter(provider__region__in=rows)),
            fields=frozenset({"bit"}),
            on_create=False,
        ),
    ),
    refresh=refresh,
    check=check,
    rows="qualifications",
)
