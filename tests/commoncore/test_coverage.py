"""The coverage selectors, against figures worked out in plain Python from the same data."""

import random

import pytest

from commoncore import coverage
from commoncore.coverage import Mode, Rule
from qualifications.models import Qualification
from tests.support.factories import (
    AreaFactory,
    AttributeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    default_area,
    default_framework,
)

pytestmark = pytest.mark.django_db


def random_world(seed: int, qualifications: int = 12, modules: int = 20):
    """Qualifications sharing modules, judgements on modules and on qualifications, some
    grids published; returns the plain-Python facts an oracle needs."""
    rng = random.Random(seed)
    areas = {n: default_area(n) for n in range(1, 7)}
    mods = [ModuleFactory() for _ in range(modules)]
    module_areas = {m.pk: set() for m in mods}
    for module in mods:
        for number in rng.sample(range(1, 7), rng.randint(0, 3)):
            AttributeFactory(qualification=None, module=module, area=areas[number])
            module_areas[module.pk].add(number)
    quals, members, own, mapped = [], {}, {}, set()
    for _ in range(qualifications):
        qualification = QualificationFactory()
        quals.append(qualification)
        members[qualification.pk] = []
        for module in rng.sample(mods, rng.randint(0, 6)):
            mandatory = rng.random() < 0.5
            QualificationModuleFactory(qualification=qualification, module=module, mandatory=mandatory)
            members[qualification.pk].append((module.pk, mandatory))
        own[qualification.pk] = set(rng.sample(range(1, 7), rng.randint(0, 1)))
        for number in own[qualification.pk]:
            AttributeFactory(qualification=qualification, area=areas[number])
        status = rng.choice(["approved", "accepted", "draft", "none"])
        if status == "approved":
            MappingReviewFactory(qualification=qualification, approved=True)
        elif status == "accepted":
            MappingReviewFactory(qualification=qualification, accepted=True)
        elif status == "draft":
            MappingReviewFactory(qualification=qualification)
        if status in ("approved", "accepted"):
            mapped.add(qualification.pk)
    return quals, members, own, module_areas, mapped


def oracle(members, own, module_areas, mandatory_only: bool) -> dict[int, set[int]]:
    result = {}
    for pk, memberships in members.items():
        covered = set(own[pk])
        for module_pk, mandatory in memberships:
            if mandatory or not mandatory_only:
                covered |= module_areas[module_pk]
        result[pk] = covered
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_qualification_areas_match_the_definition_for_both_modes(seed):
    quals, members, own, module_areas, _ = random_world(seed)
    framework = default_framework()
    areas = coverage.areas_of(framework)
    ids = [q.pk for q in quals]
    for mode, mandatory_only in ((Mode.POSSIBLE, False), (Mode.GUARANTEED, True)):
        got = coverage.qualification_areas(ids, framework, areas, mode=mode)
        expected = oracle(members, own, module_areas, mandatory_only)
        assert {pk: got.get(pk, set()) for pk in ids} == expected


@pytest.mark.parametrize("seed", [4, 5])
def test_mapped_counts_by_area_count_only_mapped_qualifications(seed):
    _, members, own, module_areas, mapped = random_world(seed, qualifications=20)
    framework = default_framework()
    areas = coverage.areas_of(framework)
    covered = oracle(members, own, module_areas, mandatory_only=False)
    expected = {n: sum(1 for pk in mapped if n in covered[pk]) for n in range(1, 7)}
    assert coverage.mapped_counts_by_area(framework, areas) == (len(mapped), expected)


def test_covers_area_filter_agrees_with_guaranteed_coverage():
    quals, members, own, module_areas, _ = random_world(7)
    area = default_area(2)
    expected = {pk for pk, areas in oracle(members, own, module_areas, True).items() if 2 in areas}
    got = set(
        Qualification.objects.filter(coverage.covers_area(area.pk, mode=Mode.GUARANTEED)).values_list(
            "pk", flat=True
        )
    )
    assert got == expected


def test_a_judgement_of_another_framework_does_not_count():
    other = AreaFactory(framework=FrameworkFactory(), number=1)
    module = ModuleFactory()
    qualification = QualificationModuleFactory(module=module).qualification
    AttributeFactory(qualification=None, module=module, area=other)
    framework = default_framework()
    areas = coverage.areas_of(framework)
    assert coverage.qualification_areas([qualification.pk], framework, areas) == {}
    assert coverage.module_areas([module.pk], framework, areas) == {}


@pytest.mark.parametrize(
    ("rule", "judged", "covered"),
    [
        (Rule.ANY, 1, True),
        (Rule.HALF, 1, False),
        (Rule.HALF, 2, True),
        (Rule.ALL, 3, False),
        (Rule.ALL, 4, True),
    ],
)
def test_element_rules_decide_when_an_area_counts(rule, judged, covered):
    framework = FrameworkFactory()
    area = AreaFactory(framework=framework, number=1)
    elements = [ElementFactory(area=area) for _ in range(4)]
    module = ModuleFactory()
    for element in elements[:judged]:
        AttributeFactory(qualification=None, module=module, area=area, element=element)
    areas = coverage.areas_of(framework)
    got = coverage.module_areas([module.pk], framework, areas, rule=rule)
    assert got == ({module.pk: {1}} if covered else {})


def test_a_judgement_of_the_whole_area_covers_it_under_every_rule():
    framework = FrameworkFactory()
    area = AreaFactory(framework=framework, number=3)
    ElementFactory(area=area)
    ElementFactory(area=area)
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module, area=area, element=None)
    areas = coverage.areas_of(framework)
    for rule in Rule:
        assert coverage.module_areas([module.pk], framework, areas, rule=rule) == {module.pk: {3}}
