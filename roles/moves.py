"""A role move (the pamphlet's "Chris" scenario, DESIGN.md §4): from one role to another,
the areas the target's key qualifications cover that the current role's do not, the
modules they lack and share, and the candidate qualifications that close the difference,
lowest level first. A fixed number of queries, whatever the data size."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from commoncore import coverage
from commoncore.coverage import AreaInfo
from commoncore.models import Framework
from qualifications.models import Module, Qualification, QualificationModule
from roles.models import Role, RoleQualification
from roles.selectors import level_key


@dataclass(frozen=True)
class Candidate:
    """A key qualification of the target role that the current role lacks, and what of
    the difference it would close."""

    qualification: Qualification
    mapped: bool
    areas: list[AreaInfo]  # missing areas it covers (none when not mapped)
    modules: list[Module]  # missing modules it includes


@dataclass(frozen=True)
class RoleMove:
    """DESIGN.md §4 *role move*, from ``current`` to ``target``."""

    current: Role
    target: Role
    areas: list[AreaInfo]
    current_key: int
    current_mapped: int
    target_key: int
    target_mapped: int
    current_areas: frozenset[int]  # covered by the current role's mapped key qualifications
    target_areas: frozenset[int]  # covered by the target role's mapped key qualifications
    missing_areas: list[AreaInfo]
    missing_modules: list[Module]
    shared_modules: list[Module]
    target_modules: int  # distinct modules of the target's key qualifications
    candidates: list[Candidate]

    @property
    def overlap_percent(self) -> int | None:
        """Shared modules as a whole percentage of the target's modules (None when the
        target's key qualifications have no modules)."""
        if not self.target_modules:
            return None
        return round(100 * len(self.shared_modules) / self.target_modules)


def role_move(current: Role, target: Role, framework: Framework, areas: list[AreaInfo]) -> RoleMove:
    """What a move from ``current`` to ``target`` needs (at most five queries):

    - the areas the target's mapped key qualifications cover and the current role's do
      not (possible coverage);
    - the modules of the target's key qualifications (any mapping state) that the current
      role's key qualifications lack, and those they share. A key qualification that is
      itself a module counts as that module;
    - the target's key qualifications the current role lacks, lowest level first (Entry
      first, not levelled last), each with the missing areas and modules it brings.
    """
    links = list(
        RoleQualification.objects.filter(role__in=[current.pk, target.pk], is_key=True)
        .select_related("qualification", "qualification__as_module")
        .annotate(
            mapped=Exists(
                coverage.mapped_ids(framework).filter(qualification_id=OuterRef("qualification_id"))
            )
        )
    )
    current_quals = {link.qualification_id: link for link in links if link.role_id == current.pk}
    target_quals = {link.qualification_id: link for link in links if link.role_id == target.pk}
    mapped_ids = {link.qualification_id for link in links if link.mapped}

    # Asked even with no mapped qualification, so that the page's queries are always the same.
    covered = coverage.qualification_areas(sorted(mapped_ids), framework, areas)
    current_areas = frozenset(n for q in current_quals if q in mapped_ids for n in covered.get(q, ()))
    target_areas = frozenset(n for q in target_quals if q in mapped_ids for n in covered.get(q, ()))
    missing_numbers = target_areas - current_areas

    memberships = QualificationModule.objects.filter(
        qualification__in=[*current_quals, *target_quals]
    ).select_related("module")
    modules: dict[int, Module] = {}
    modules_of: dict[int, set[int]] = defaultdict(set)
    for membership in memberships:
        modules[membership.module_id] = membership.module
        modules_of[membership.qualification_id].add(membership.module_id)
    current_modules = {m for q in current_quals for m in modules_of[q]}
    for link in current_quals.values():  # holding a qualification that is also a module
        as_module = getattr(link.qualification, "as_module", None)
        if as_module is not None:
            modules[as_module.pk] = as_module
            current_modules.add(as_module.pk)
    target_module_ids = {m for q in target_quals for m in modules_of[q]}
    missing_module_ids = target_module_ids - current_modules

    def by_title(ids: Iterable[int]) -> list[Module]:
        return sorted((modules[m] for m in ids), key=lambda m: (m.title, m.ref))

    missing_areas = [area for area in areas if area.number in missing_numbers]
    candidates = [
        Candidate(
            qualification=link.qualification,
            mapped=q in mapped_ids,
            areas=[area for area in missing_areas if area.number in covered.get(q, ())]
            if q in mapped_ids
            else [],
            modules=by_title(modules_of[q] & missing_module_ids),
        )
        for q, link in target_quals.items()
        if q not in current_quals
    ]
    candidates.sort(
        key=lambda c: (*level_key(c.qualification.level), c.qualification.title, c.qualification.ref)
    )
    return RoleMove(
        current=current,
        target=target,
        areas=areas,
        current_key=len(current_quals),
        current_mapped=len(set(current_quals) & mapped_ids),
        target_key=len(target_quals),
        target_mapped=len(set(target_quals) & mapped_ids),
        current_areas=current_areas,
        target_areas=target_areas,
        missing_areas=missing_areas,
        missing_modules=by_title(missing_module_ids),
        shared_modules=by_title(target_module_ids & current_modules),
        target_modules=len(target_module_ids),
        candidates=candidates,
    )
