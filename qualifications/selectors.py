"""Reads shared by the public qualification, module and provider pages.

Each function answers one question a manager asks and runs a fixed number of queries,
whatever the data size. Coverage comes from :mod:`commoncore.coverage` (published
judgements only, DESIGN.md §4); nothing here recomputes it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from commoncore import coverage
from commoncore.coverage import AreaInfo, Mode
from commoncore.models import Framework
from qualifications.models import (
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
    Region,
)
from roles.models import RoleQualification, current_role


def money(cost: Decimal | None) -> str:
    """A cost as a manager reads it: "£1,250.00", "Free", or "" when not known."""
    if cost is None:
        return ""
    return "Free" if cost == 0 else f"£{cost:,.2f}"


def covered(areas: list[AreaInfo], numbers: set[int]) -> list[AreaInfo]:
    """The areas, in number order, whose numbers are in ``numbers``."""
    return [area for area in areas if area.number in numbers]


# -- a qualification -------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRow:
    """A module's place in a qualification, with the areas the module covers."""

    module: Module
    mandatory: bool
    areas: list[AreaInfo]


@dataclass(frozen=True)
class AreaCoverage:
    area: AreaInfo
    guaranteed: bool
    possible: bool


@dataclass(frozen=True)
class CoverageByArea:
    """Guaranteed (mandatory modules and the qualification's own judgements) against
    possible (every module) coverage; ``mapped`` says whether a grid was published."""

    mapped: bool
    rows: list[AreaCoverage]

    @property
    def guaranteed(self) -> int:
        return sum(row.guaranteed for row in self.rows)

    @property
    def possible(self) -> int:
        return sum(row.possible for row in self.rows)


@dataclass(frozen=True)
class OfferingRow:
    provider: Provider
    qualification: Qualification
    course_hours: int | None
    mode: str
    cost: str


def qualification_by_ref(ref: str, framework: Framework) -> Qualification:
    """The qualification with its type, awarding body, successor and (when it is also a
    module) its module, annotated ``mapped`` for the framework (one query).

    Raises ``Qualification.DoesNotExist`` for an unknown reference.
    """
    return (
        Qualification.objects.with_related()
        .select_related("as_module")
        .annotate(mapped=coverage.is_mapped(framework))
        .get(ref=ref)
    )


def modules_of(qualification: Qualification, framework: Framework, areas: list[AreaInfo]) -> list[ModuleRow]:
    """The qualification's modules in order, each with the areas it covers (two queries)."""
    memberships = list(
        QualificationModule.objects.filter(qualification=qualification)
        .select_related("module")
        .order_by("order", "module__title", "module__ref")
    )
    by_module = coverage.module_areas([m.module_id for m in memberships], framework, areas)
    return [
        ModuleRow(m.module, m.mandatory, covered(areas, by_module.get(m.module_id, set())))
        for m in memberships
    ]


def coverage_of(qualification: Qualification, framework: Framework, areas: list[AreaInfo]) -> CoverageByArea:
    """Area by area, whether the qualification covers it for certain and possibly
    (four queries). ``qualification`` carries the ``mapped`` annotation."""
    ids = [qualification.pk]
    possible = coverage.qualification_areas(ids, framework, areas, mode=Mode.POSSIBLE)
    guaranteed = coverage.qualification_areas(ids, framework, areas, mode=Mode.GUARANTEED)
    possible_numbers = possible.get(qualification.pk, set())
    guaranteed_numbers = guaranteed.get(qualification.pk, set())
    return CoverageByArea(
        mapped=bool(getattr(qualification, "mapped", False)),
        rows=[
            AreaCoverage(area, area.number in guaranteed_numbers, area.number in possible_numbers)
            for area in areas
        ],
    )


def prerequisites_of(qualification: Qualification) -> list[Prerequisite]:
    """What must be gained first: qualifications, then modules (one query)."""
    return list(
        Prerequisite.objects.filter(qualification=qualification)
        .select_related("required_qualification", "required_module")
        .order_by(
            F("required_qualification__level").asc(nulls_last=True),
            "required_qualification__title",
            "required_module__title",
        )
    )


def leads_to(qualification: Qualification) -> QuerySet[Qualification]:
    """The qualifications that require this one, directly or as a module (one query).

    ``qualification`` carries its ``as_module`` (see :func:`qualification_by_ref`): the
    requirement is then two indexed equalities, not a join over every pre-requirement."""
    requires = Q(required_qualification=qualification)
    as_module = getattr(qualification, "as_module", None)
    if as_module is not None:
        requires |= Q(required_module=as_module)
    requiring = Prerequisite.objects.filter(requires).values("qualification_id")
    return Qualification.objects.filter(pk__in=requiring).order_by(F("level").asc(nulls_last=True), "title")


def replaced(qualification: Qualification) -> QuerySet[Qualification]:
    """The qualifications this one superseded (one query)."""
    return qualification.supersedes.order_by("title")


def roles_of(qualification: Qualification) -> QuerySet[RoleQualification]:
    """The current roles the qualification serves, key ones first (one query)."""
    return (
        RoleQualification.objects.filter(current_role("role__"), qualification=qualification)
        .select_related("role")
        .order_by("-is_key", "role__title")
    )


def offerings_of(qualification: Qualification) -> list[OfferingRow]:
    """Who offers the qualification, by region in the regions' order (one query)."""
    offerings = (
        Offering.objects.filter(qualification=qualification, provider__is_archived=False)
        .select_related("provider", "provider__region")
        .order_by(F("provider__region__order").asc(nulls_last=True), "provider__name", "mode")
    )
    return [OfferingRow(o.provider, qualification, o.course_hours, o.mode, money(o.cost)) for o in offerings]


# -- a module --------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipRow:
    """A qualification that includes the module, and how."""

    qualification: Qualification
    mandatory: bool
    mapped: bool


def module_by_ref(ref: str) -> Module:
    """The module and, when it is one too, its qualification (one query).

    Raises ``Module.DoesNotExist`` for an unknown reference.
    """
    return Module.objects.select_related(
        "qualification",
        "qualification__qualification_type",
        "qualification__awarding_body",
    ).get(ref=ref)


def memberships_of(module: Module) -> QuerySet[QualificationModule]:
    """The module's places in qualifications, lowest level first, with each qualification's
    type and awarding body; page this and pass the page to :func:`membership_rows`.

    Not levelled sorts last as level 99, an expression no index of qualifications
    matches: ordering by the bare level column lets PostgreSQL walk every qualification
    in level order looking for the module's few (benchmarks/plans/pages-module.txt),
    where this starts from the module's memberships and sorts only them."""
    return (
        QualificationModule.objects.filter(module=module)
        .select_related("qualification", "qualification__qualification_type", "qualification__awarding_body")
        .order_by(Coalesce("qualification__level", Value(99)), "qualification__title", "qualification__ref")
    )


def membership_counts(module: Module) -> dict[str, int]:
    """How many qualifications include the module: in all, as mandatory, as optional (one
    query)."""
    counts = QualificationModule.objects.filter(module=module).aggregate(
        total=Count("pk"),
        mandatory=Count("pk", filter=Q(mandatory=True)),
    )
    return {**counts, "optional": counts["total"] - counts["mandatory"]}


def membership_rows(memberships: list[QualificationModule], framework: Framework) -> list[MembershipRow]:
    """The memberships with whether each qualification is mapped (one query)."""
    ids = [m.qualification_id for m in memberships]
    mapped = (
        set(
            coverage.mapped_ids(framework)
            .filter(qualification_id__in=ids)
            .values_list("qualification_id", flat=True)
        )
        if ids
        else set()
    )
    return [MembershipRow(m.qualification, m.mandatory, m.qualification_id in mapped) for m in memberships]


def in_a_mapped_qualification(module: Module, framework: Framework) -> bool:
    """Whether any qualification that includes the module is mapped (one query)."""
    return coverage.mapped_ids(framework).filter(qualification__memberships__module=module).exists()


def module_areas_of(module: Module, framework: Framework, areas: list[AreaInfo]) -> set[int]:
    """The numbers of the areas the module covers (one query)."""
    return coverage.module_areas([module.pk], framework, areas).get(module.pk, set())


def required_for(module: Module) -> QuerySet[Qualification]:
    """The qualifications that require the module before study (one query)."""
    return Qualification.objects.filter(prerequisites__required_module=module).order_by(
        F("level").asc(nulls_last=True), "title"
    )


# -- providers -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCount:
    region: Region | None
    providers: int


def provider_counts_by_region() -> list[RegionCount]:
    """Every region in order with how many active providers it has, then the providers
    with no region (national or distance), when there are any (two queries)."""
    counts = dict(Provider.objects.active().values_list("region_id").annotate(n=Count("pk")).order_by())
    rows = [RegionCount(region, counts.get(region.pk, 0)) for region in Region.objects.all()]
    if counts.get(None):
        rows.append(RegionCount(None, counts[None]))
    return rows


def providers_for_directory() -> QuerySet[Provider]:
    """Active providers, by region in order (no region last), then by name; page this
    and pass the page to :func:`with_offerings`."""
    return (
        Provider.objects.active()
        .select_related("region")
        .order_by(F("region__order").asc(nulls_last=True), "region__name", "name")
    )


def with_offerings(providers: list[Provider]) -> list[tuple[Provider, list[OfferingRow]]]:
    """Each provider with what it offers, by qualification title (one query)."""
    offerings = (
        Offering.objects.filter(provider__in=[p.pk for p in providers])
        .select_related("qualification")
        .order_by("qualification__title", "mode")
    )
    by_id = {p.pk: p for p in providers}
    by_provider: dict[int, list[OfferingRow]] = {p.pk: [] for p in providers}
    for o in offerings:
        by_provider[o.provider_id].append(
            OfferingRow(by_id[o.provider_id], o.qualification, o.course_hours, o.mode, money(o.cost))
        )
    return [(p, by_provider[p.pk]) for p in providers]
