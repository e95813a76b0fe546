"""The coverage summary stays equal to what the published judgements and memberships say,
whatever path wrote them: checked after random sequences of writes against a summary
worked out in plain Python from Attribute and QualificationModule rows."""

import csv
import random
from collections import defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from bundles.services import bundle_import
from commoncore import coverage, services
from commoncore.coverage import Mode, Rule
from commoncore.models import Area, Attribute, Framework, QualificationCoverage
from commoncore.services import Mark
from qualifications.models import Qualification, QualificationModule
from tests.support.factories import (
    AreaFactory,
    AttributeFactory,
    ElementFactory,
    FrameworkFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    UserFactory,
    default_framework,
)
from tests.support.pages import form_data

pytestmark = pytest.mark.django_db

Row = tuple[bool, bool, int, int]


# -- the oracle ----------------------------------------------------------------------


def expected_summary() -> dict[tuple[int, int, int], Row]:
    """(qualification, framework, area) → (judged whole: possible, guaranteed; distinct
    elements judged: possible, guaranteed), from the raw rows."""
    framework_of = dict(Area.objects.values_list("id", "framework_id"))
    routes: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for qualification_id, module_id, mandatory in QualificationModule.objects.values_list(
        "qualification_id", "module_id", "mandatory"
    ):
        routes[module_id].append((qualification_id, mandatory))
    possible: dict[tuple[int, int], set] = defaultdict(set)
    guaranteed: dict[tuple[int, int], set] = defaultdict(set)
    for qualification_id, module_id, area_id, element_id in Attribute.objects.values_list(
        "qualification_id", "module_id", "area_id", "element_id"
    ):
        reached = [(qualification_id, True)] if qualification_id else routes[module_id]
        for reached_id, sure in reached:
            possible[(reached_id, area_id)].add(element_id)
            if sure:
                guaranteed[(reached_id, area_id)].add(element_id)
    return {
        (q, framework_of[a], a): (
            None in judged,
            None in guaranteed[(q, a)],
            len(judged - {None}),
            len(guaranteed[(q, a)] - {None}),
        )
        for (q, a), judged in possible.items()
    }


def actual_summary() -> dict[tuple[int, int, int], Row]:
    return {
        (q, f, a): (bool(wp), bool(wg), ep, eg)
        for q, f, a, wp, wg, ep, eg in QualificationCoverage.objects.values_list(
            "qualification_id",
            "framework_id",
            "area_id",
            "whole_possible",
            "whole_guaranteed",
            "elements_possible",
            "elements_guaranteed",
        )
    }


def expected_areas(framework: Framework, mode: Mode, rule: Rule) -> dict[int, set[int]]:
    """Qualification → areas covered, straight from the definitions (DESIGN.md §4)."""
    areas = {a.pk: (a.number, a.elements.count()) for a in framework.areas.all()}
    covered: dict[int, set[int]] = defaultdict(set)
    for (q, _, a), (wp, wg, ep, eg) in expected_summary().items():
        if a not in areas:
            continue
        number, total = areas[a]
        whole, judged = (wp, ep) if mode == Mode.POSSIBLE else (wg, eg)
        needed = {Rule.ANY: 1, Rule.HALF: -(-total // 2), Rule.ALL: total}[rule]
        if whole or (total and judged >= max(needed, 1)):
            covered[q].add(number)
    return dict(covered)


def assert_exact() -> None:
    assert actual_summary() == expected_summary()


# -- a world and the writes on it ------------------------------------------------------


def person(*groups: str):
    user = UserFactory()
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


class World:
    """Qualifications sharing modules, the Common Core 2005 and a framework whose areas
    have 1, 2, 3 and 5 elements, and the people who map and moderate."""

    def __init__(self, rng: random.Random, qualifications: int = 6, modules: int = 10):
        self.rng = rng
        self.common_core = default_framework()
        self.elements = FrameworkFactory()
        for number, count in enumerate([1, 2, 3, 5], start=1):
            area = AreaFactory(framework=self.elements, number=number)
            for order in range(1, count + 1):
                ElementFactory(area=area, order=order)
        self.mapper, self.moderator = person("Mapper"), person("Moderator")
        self.quals = [QualificationFactory() for _ in range(qualifications)]
        self.modules = [ModuleFactory() for _ in range(modules)]
        for qualification in self.quals:
            for module in rng.sample(self.modules, rng.randint(1, min(4, modules))):
                QualificationModuleFactory(
                    qualification=qualification, module=module, mandatory=rng.random() < 0.5
                )

    def cells(self, framework: Framework) -> list[tuple[int, int | None]]:
        """Every (area, element) a grid of the framework can tick."""
        cells = []
        for area in framework.areas.prefetch_related("elements"):
            elements = list(area.elements.all())
            cells += [(area.pk, e.pk) for e in elements] if elements else [(area.pk, None)]
        return cells

    def approve_grid(self) -> None:
        """A mapper ticks a random grid of a qualification, a moderator approves it."""
        qualification = self.rng.choice(self.quals)
        framework = self.rng.choice([self.common_core, self.elements])
        rows = [None, *qualification.memberships.values_list("module_id", flat=True)]
        cells = self.cells(framework)
        marks = {
            (row, area_id, element_id): Mark()
            for row in rows
            for area_id, element_id in cells
            if self.rng.random() < 0.35
        }
        review = services.review_save_draft(
            qualification=qualification,
            framework=framework,
            user=self.mapper,
            marks=marks,
            version=None,
        )
        review = services.review_submit(review=review, user=self.mapper, version=review.version)
        services.review_approve(review=review, moderator=self.moderator, version=review.version)

    def edit_in_admin(self, client) -> None:
        """A clerk adds a module to a qualification, removes one, or flips a mandatory flag,
        on the qualification's admin page."""
        qualification = self.rng.choice(self.quals)
        url = reverse("admin:qualifications_qualification_change", args=[qualification.pk])
        data = form_data(client.get(url))
        existing = int(data["memberships-INITIAL_FORMS"])
        members = set(qualification.memberships.values_list("module_id", flat=True))
        outsiders = [m for m in self.modules if m.pk not in members]
        action = self.rng.choice(["add", "remove", "flip"] if existing else ["add"])
        if action == "add" and outsiders:
            row = existing  # the inline's empty extra row
            data[f"memberships-{row}-module"] = str(self.rng.choice(outsiders).pk)
            data[f"memberships-{row}-order"] = "9"
            if self.rng.random() < 0.5:
                data.pop(f"memberships-{row}-mandatory", None)
            else:
                data[f"memberships-{row}-mandatory"] = "on"
        elif action == "remove":
            data[f"memberships-{self.rng.randrange(existing)}-DELETE"] = "on"
        elif action == "flip":
            key = f"memberships-{self.rng.randrange(existing)}-mandatory"
            if key in data:
                del data[key]
            else:
                data[key] = "on"
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]

    def import_bundle(self, folder: Path) -> None:
        """A bundle of memberships (new ones and changed flags) and published judgements
        of qualifications and of modules whose qualification's grid is published."""
        rng = self.rng
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "qualification_modules.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["qualification_ref", "module_ref", "mandatory"])
            for _ in range(3):
                qualification, module = rng.choice(self.quals), rng.choice(self.modules)
                writer.writerow([qualification.ref, module.ref, rng.choice(["yes", "no"])])
        published = Qualification.objects.filter(
            mapping_reviews__status__in=["approved", "accepted"],
            mapping_reviews__framework=self.common_core,
        ).distinct()
        rows = []
        for qualification in published:
            if rng.random() < 0.5:
                rows.append(["", str(rng.randint(1, 6)), qualification.ref, "", ""])
            for membership in qualification.memberships.select_related("module"):
                if rng.random() < 0.3:
                    rows.append(["", str(rng.randint(1, 6)), "", membership.module.ref, ""])
        unique = {(r[1], r[2], r[3]): r for r in rows}
        with open(folder / "attributes.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["framework", "area", "qualification_ref", "module_ref", "element"])
            writer.writerows(unique.values())
        bundle_import(path=folder)


# -- the tests -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_summary_is_exact_after_any_sequence_of_writes(seed, admin_client, tmp_path):
    rng = random.Random(seed)
    world = World(rng)
    assert_exact()
    for step in range(14):
        kind = rng.choice(["grid", "grid", "admin", "bundle"])
        if kind == "grid":
            world.approve_grid()
        elif kind == "admin":
            world.edit_in_admin(admin_client)
        else:
            world.import_bundle(tmp_path / f"bundle-{step}")
        assert actual_summary() == expected_summary(), f"after step {step} ({kind})"


@pytest.mark.parametrize("seed", [5, 6])
def test_coverage_read_from_the_summary_follows_every_mode_and_rule(seed, admin_client):
    rng = random.Random(seed)
    world = World(rng, qualifications=8)
    for _ in range(8):
        world.approve_grid()
    world.edit_in_admin(admin_client)
    ids = [q.pk for q in world.quals]
    for framework in (world.common_core, world.elements):
        areas = coverage.areas_of(framework)
        for mode in Mode:
            for rule in Rule:
                got = coverage.qualification_areas(ids, framework, areas, mode=mode, rule=rule)
                assert got == expected_areas(framework, mode, rule), (framework, mode, rule)


def test_mapped_counts_and_the_area_filter_read_the_summary(admin_client):
    world = World(random.Random(7), qualifications=8)
    for _ in range(6):
        world.approve_grid()
    framework = world.elements
    areas = coverage.areas_of(framework)
    mapped = set(coverage.mapped_ids(framework).values_list("qualification_id", flat=True))
    possible = expected_areas(framework, Mode.POSSIBLE, Rule.ANY)
    guaranteed = expected_areas(framework, Mode.GUARANTEED, Rule.ANY)

    count, by_area = coverage.mapped_counts_by_area(framework, areas)

    assert count == len(mapped)
    assert by_area == {a.number: sum(1 for q in mapped if a.number in possible.get(q, ())) for a in areas}
    for area in areas:
        chosen = Qualification.objects.filter(coverage.covers_area(area.id, mode=Mode.GUARANTEED))
        assert set(chosen.values_list("pk", flat=True)) == {
            q for q, numbers in guaranteed.items() if area.number in numbers
        }


def test_withdrawing_a_module_judgement_updates_every_qualification_sharing_it():
    world = World(random.Random(8), qualifications=2, modules=1)
    shared = world.modules[0]
    first, second = world.quals
    assert set(shared.memberships.values_list("qualification_id", flat=True)) == {first.pk, second.pk}
    area = world.common_core.areas.get(number=4)

    def publish(ticked: bool) -> None:
        marks = {(shared.pk, area.pk, None): Mark()} if ticked else {}
        review = services.review_save_draft(
            qualification=first, framework=world.common_core, user=world.mapper, marks=marks, version=None
        )
        review = services.review_submit(review=review, user=world.mapper, version=review.version)
        services.review_approve(review=review, moderator=world.moderator, version=review.version)

    publish(ticked=True)
    assert QualificationCoverage.objects.filter(qualification=second, area=area).exists()
    publish(ticked=False)
    assert not QualificationCoverage.objects.filter(qualification=second, area=area).exists()
    assert_exact()


def test_refresh_coverage_repairs_a_damaged_summary():
    world = World(random.Random(9))
    for _ in range(4):
        world.approve_grid()
    QualificationCoverage.objects.filter(pk__in=QualificationCoverage.objects.values("pk")[:3]).delete()
    QualificationCoverage.objects.filter(elements_possible__gt=0).update(elements_possible=99)
    out = StringIO()

    call_command("refresh_coverage", stdout=out)

    assert_exact()
    assert "Coverage summary rebuilt" in out.getvalue()


def test_the_generated_data_set_arrives_summarised():
    call_command("generate_data", scale=0.02, seed=3, no_progress=True, stdout=StringIO())

    assert QualificationCoverage.objects.exists()
    assert_exact()


def test_direct_factory_judgements_are_summarised_for_every_qualification_with_the_module():
    membership = QualificationModuleFactory(mandatory=False)
    other = QualificationModuleFactory(module=membership.module, mandatory=True)

    AttributeFactory(qualification=None, module=membership.module)

    assert_exact()
    rows = dict(QualificationCoverage.objects.values_list("qualification_id", "whole_guaranteed"))
    assert rows == {membership.qualification_id: False, other.qualification_id: True}


def test_the_database_refuses_more_guaranteed_elements_than_possible():
    qualification = QualificationFactory()
    area = Area.objects.filter(framework=default_framework()).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        QualificationCoverage.objects.create(
            qualification=qualification,
            framework=area.framework,
            area=area,
            elements_possible=1,
            elements_guaranteed=2,
        )
