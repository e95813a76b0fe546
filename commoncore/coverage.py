"""Coverage of a framework's areas, read from published judgements only (DESIGN.md §4).

Public pages and reports share these selectors. A module covers an area when it has a
published attribute for it; a qualification covers an area when it has one itself or one
of its modules does (all modules: *possible* coverage; mandatory ones only: *guaranteed*).
A qualification is *mapped* once a grid of it has been approved or accepted.

For a framework whose areas have elements, a :class:`Rule` decides when the elements
judged add up to the area: any element, at least half of them, or all of them. A
judgement about the area as a whole (no element) covers it under every rule.

Qualifications' coverage is read from the coverage summary (``QualificationCoverage``,
kept exact by ``commoncore.summary`` on every write), so no request pools raw judgements;
modules' coverage is read from their judgements, which are few per module.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from commoncore.models import Area, Attribute, Framework, MappingReview, QualificationCoverage


class Rule(StrEnum):
    ANY = "any"
    HALF = "half"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"any": "any element", "half": "at least half its elements", "all": "all its elements"}[
            self.value
        ]


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
        for a in Area.objects.filter(framework=framework)
        .annotate(n_elements=Count("elements"))
        .order_by("number")
    ]


def is_mapped(framework: Framework) -> Exists:
    """For annotating or filtering qualifications: has a published grid for the framework."""
    return Exists(
        MappingReview.objects.published().filter(
            qualification=OuterRef("pk"),
            framework=framework,
        )
    )


def mapped_ids(framework: Framework) -> QuerySet:
    """The ids of mapped qualifications, as a subquery."""
    return MappingReview.objects.published().filter(framework=framework).values("qualification_id")


def _judged(mode: Mode) -> Q:
    """For filtering summary rows: the area is judged, wholly or in part, under ``mode``."""
    if mode == Mode.GUARANTEED:
        return Q(whole_guaranteed=True) | Q(elements_guaranteed__gt=0)
    return Q()  # a summary row exists only where something is judged


def enough_elements(area: AreaInfo, rule: Rule) -> int:
    """How many of an area's elements a subject must have judged to cover the area under
    ``rule`` (at least one)."""
    total = area.elements
    return max({Rule.ANY: 1, Rule.HALF: (total + 1) // 2, Rule.ALL: total}[rule], 1)


def _decided(area: AreaInfo, mode: Mode, rule: Rule) -> Q:
    """For filtering summary rows: the qualification covers ``area`` under the mode and
    rule (what :func:`_fold` decides from raw judgements)."""
    enough = enough_elements(area, rule)
    if mode == Mode.GUARANTEED:
        return Q(area_id=area.id) & (Q(whole_guaranteed=True) | Q(elements_guaranteed__gte=enough))
    return Q(area_id=area.id) & (Q(whole_possible=True) | Q(elements_possible__gte=enough))


def covers_area(area_id: int, *, mode: Mode = Mode.POSSIBLE) -> Q:
    """For filtering qualifications: covers the area through any judgement (rule *any*)."""
    return Q(
        Exists(
            QualificationCoverage.objects.filter(
                _judged(mode),
                qualification=OuterRef("pk"),
                area_id=area_id,
            )
        )
    )


def _fold(
    triples: Iterable[tuple[int, int, int | None]], areas: list[AreaInfo], rule: Rule
) -> dict[int, set[int]]:
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
        if len(judged) >= enough_elements(by_id[area_id], rule):
            whole[subject].add(area_id)
    return {subject: {by_id[a].number for a in ids} for subject, ids in whole.items()}


def module_areas(
    module_ids: Iterable[int], framework: Framework, areas: list[AreaInfo], *, rule: Rule = Rule.ANY
) -> dict[int, set[int]]:
    """Module id → numbers of the areas it covers (one query)."""
    triples = Attribute.objects.filter(
        module_id__in=module_ids,
        area__framework=framework,
    ).values_list("module_id", "area_id", "element_id")
    return _fold(triples, areas, rule)


def qualification_areas(
    qualification_ids: Iterable[int] | QuerySet,
    framework: Framework,
    areas: list[AreaInfo],
    *,
    mode: Mode = Mode.POSSIBLE,
    rule: Rule = Rule.ANY,
) -> dict[int, set[int]]:
    """Qualification id → numbers of the areas it covers (one query over the coverage
    summary, deciding the rule in the database: one row per qualification covering any
    area, with one 0/1 column per area)."""
    if not areas:
        return {}
    decided = {a.number: _decided(a, mode, rule) for a in areas}
    covered = Q()
    for condition in decided.values():
        covered |= condition
    rows = (
        QualificationCoverage.objects.filter(
            covered, qualification_id__in=qualification_ids, framework=framework
        )
        .values("qualification_id")
        .annotate(**{f"area_{n}": Count("pk", filter=c) for n, c in decided.items()})
        .order_by()
    )
    return {row["qualification_id"]: {n for n in decided if row[f"area_{n}"]} for row in rows}


def mapped_counts_by_area(framework: Framework, areas: list[AreaInfo]) -> tuple[int, dict[int, int]]:
    """How many qualifications are mapped, and how many of them cover each area (possible
    coverage, rule *any*), counted in the database: one query over the published grids,
    one over the coverage summary (where a row means its area is covered under rule
    *any*), grouped by area."""
    mapped = mapped_ids(framework)
    total = mapped.aggregate(n=Count("qualification_id", distinct=True))["n"]
    by_area = dict(
        QualificationCoverage.objects.filter(framework=framework, qualification_id__in=mapped)
        .values_list("area_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return total, {a.number: by_area.get(a.id, 0) for a in areas}
