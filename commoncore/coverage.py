"""Coverage of a framework's areas, read from published judgements only (DESIGN.md §4).

Public pages and reports share these selectors. A module covers an area when it has a
published attribute for it; a qualification covers an area when it has one itself or one
of its modules does (all modules: *possible* coverage; mandatory ones only: *guaranteed*).
A qualification is *mapped* once a grid of it has been approved or accepted.

For a framework whose areas have elements, a :class:`Rule` decides when the elements
judged add up to the area: any element, at least half of them, or all of them. A
judgement about the area as a whole (no element) covers it under every rule.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from commoncore.models import Area, Attribute, Framework, MappingReview
from qualifications.models import Qualification, QualificationModule


class Rule(StrEnum):
    ANY = "any"
    HALF = "half"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"any": "any element", "half": "at least half its elements",
                "all": "all its elements"}[self.value]


class Mode(StrEnum):
    POSSIBLE = "possible"
    GUARANTEED = "guaranteed"


@dataclass(frozen=True)
class AreaInfo:
    id: int
    number: int
    title: str
    short_title: str
    elements: int


def areas_of(framework: Framework) -> list[AreaInfo]:
    """The framework's areas in number order, with how many elements each has (one query)."""
    return [
        AreaInfo(a.pk, a.number, a.title, a.short_title, a.n_elements)
        for a in Area.objects.filter(framework=framework).annotate(n_elements=Count("elements"))
        .order_by("number")
    ]


def is_mapped(framework: Framework) -> Exists:
    """For annotating or filtering qualifications: has a published grid for the framework."""
    return Exists(MappingReview.objects.published().filter(
        qualification=OuterRef("pk"), framework=framework,
    ))


def mapped_ids(framework: Framework) -> QuerySet:
    """The ids of mapped qualifications, as a subquery."""
    return MappingReview.objects.published().filter(framework=framework).values("qualification_id")


def covers_area(area_id: int, *, mode: Mode = Mode.POSSIBLE) -> Q:
    """For filtering qualifications: covers the area through any judgement (rule *any*)."""
    memberships = QualificationModule.objects.filter(
        qualification=OuterRef("pk"), module__attributes__area_id=area_id,
    )
    if mode == Mode.GUARANTEED:
        memberships = memberships.filter(mandatory=True)
    own = Attribute.objects.filter(qualification=OuterRef("pk"), area_id=area_id)
    return Q(Exists(own)) | Q(Exists(memberships))


def _fold(triples: Iterable[tuple[int, int, int | None]], areas: list[AreaInfo],
          rule: Rule) -> dict[int, set[int]]:
    """(subject, area id, element id) triples → subject → numbers of the areas covered."""
    by_id = {a.id: a for a in areas}
    whole: dict[int, set[int]] = defaultdict(set)
    elements: dict[tuple[int, int], set[int]] = defaultdict(set)
    for subject, area_id, element_id in triples:
        if area_id not in by_id:
            continue
        if element_id is None:
            whole[subject].add(area_id)
        else:
            elements[(subject, area_id)].add(element_id)
    for (subject, area_id), judged in elements.items():
        total = by_id[area_id].elements
        enough = {Rule.ANY: 1, Rule.HALF: (total + 1) // 2, Rule.ALL: total}[rule]
        if len(judged) >= max(enough, 1):
            whole[subject].add(area_id)
    return {subject: {by_id[a].number for a in ids} for subject, ids in whole.items()}


def module_areas(module_ids: Iterable[int], framework: Framework, areas: list[AreaInfo],
                 *, rule: Rule = Rule.ANY) -> dict[int, set[int]]:
    """Module id → numbers of the areas it covers (one query)."""
    triples = Attribute.objects.filter(
        module_id__in=module_ids, area__framework=framework,
    ).values_list("module_id", "area_id", "element_id")
    return _fold(triples, areas, rule)


def qualification_areas(qualification_ids: Iterable[int] | QuerySet, framework: Framework,
                        areas: list[AreaInfo], *, mode: Mode = Mode.POSSIBLE,
                        rule: Rule = Rule.ANY) -> dict[int, set[int]]:
    """Qualification id → numbers of the areas it covers (two queries)."""
    own = Attribute.objects.filter(
        qualification_id__in=qualification_ids, area__framework=framework,
    ).values_list("qualification_id", "area_id", "element_id")
    through = QualificationModule.objects.filter(
        qualification_id__in=qualification_ids, module__attributes__area__framework=framework,
    )
    if mode == Mode.GUARANTEED:
        through = through.filter(mandatory=True)
    through = through.values_list(
        "qualification_id", "module__attributes__area_id", "module__attributes__element_id",
    ).distinct()
    return _fold([*own, *through], areas, rule)


def mapped_counts_by_area(framework: Framework, areas: list[AreaInfo]) -> tuple[int, dict[int, int]]:
    """How many qualifications are mapped, and how many of them cover each area (possible
    coverage, rule *any*), counted in the database in one query."""
    counts = {f"area_{a.number}": Count("pk", filter=covers_area(a.id)) for a in areas}
    result = Qualification.objects.filter(pk__in=mapped_ids(framework)).aggregate(
        mapped=Count("pk"), **counts,
    )
    return result.pop("mapped"), {a.number: result[f"area_{a.number}"] for a in areas}
