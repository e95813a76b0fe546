"""The benchmark's database floors compute the same figures as the reports they stand for.

Each floor (``tooling.bench.floors``) is a hand-written SQL statement for one report at its
default parameters; a benchmark divides the report's time by the floor's. That ratio only
means something when both compute the same data, so each floor's rows, reshaped, must
equal the report's main table on factory data with the cases that make reports go wrong:
a role in two clusters, an empty cluster, a cluster in another scheme, shared modules,
mandatory and optional memberships, mapped and unmapped qualifications (drafts, returned
grids, a qualification published in two rounds, one mapped only in another framework),
unlevelled qualifications and modules, and judgements in another framework.
"""

import random
import statistics

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test import override_settings

from commoncore.models import Area, Element
from iqf.lib.levels import level_code
from reports.params import read_params
from reports.registry import REPORTS
from tests.support.factories import (
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tooling.bench.floors import TOP, floors

pytestmark = pytest.mark.django_db

LEVELS = [None, 0, 1, 2, 3, 3, 4, 5, 6, 7, 8]
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATUSES = ["approved", "accepted", "draft", "submitted", "returned", None]


def build_world(seed: int, *, dense: bool) -> None:
    """Random data over every case the module docstring lists. ``dense``: twelve
    qualifications share two modules, so more than TOP pairs share two or more modules
    (otherwise fewer do, and pairs sharing one module reach the top list)."""
    rng = random.Random(seed)
    scheme = ClusterSchemeFactory(name="Workforce", slug="workforce", is_default=True)
    other = ClusterSchemeFactory(name="Services", slug="services")
    clusters = [ClusterFactory(scheme=scheme, name=f"Cluster {c}", slug=f"cluster-{c}") for c in "ABCD"]
    ClusterFactory(scheme=scheme, name="Cluster E (no roles)", slug="cluster-e")
    elsewhere = [ClusterFactory(scheme=other, name=f"Service {c}", slug=f"service-{c}") for c in "XY"]
    roles = []
    for r in range(12):
        role = RoleFactory(title=f"Role {r:02d}", slug=f"role-{r:02d}")
        roles.append(role)
        # role 00 in two clusters, role 01 in the first of them, role 10 only in the other
        # scheme, role 11 in no cluster
        chosen = (
            clusters[:2]
            if r == 0
            else clusters[:1]
            if r == 1
            else []
            if r >= 10
            else rng.sample(clusters, rng.choice([1, 1, 2]))
        )
        chosen += rng.sample(elsewhere, rng.randint(0, 1)) if r != 10 else elsewhere[:1]
        for cluster in chosen:
            RoleClusterFactory(role=role, cluster=cluster)
    modules = [ModuleFactory(ref=f"M{m:03d}", level=rng.choice(LEVELS)) for m in range(24)]
    qualifications = []
    for q in range(30):
        # R000 is mapped and not levelled
        qualification = QualificationFactory(
            ref=f"R{q:03d}", title=f"Award {q:02d}", level=rng.choice(LEVELS) if q else None
        )
        qualifications.append(qualification)
        chosen = rng.sample(modules[2:], rng.randint(0, 4))
        chosen += modules[:2] if dense and q < 12 else rng.sample(modules[:2], rng.randint(0, 1))
        for module in chosen:
            QualificationModuleFactory(
                qualification=qualification, module=module, mandatory=rng.random() < 0.5
            )
    for role in roles[:11]:
        if role.title == "Role 09":
            continue  # a role with no qualification at all
        for qualification in rng.sample(qualifications[1:], rng.randint(0, 5)):
            RoleQualificationFactory(role=role, qualification=qualification, is_key=rng.random() < 0.5)
    # R000 counts once in cluster A's subtotal, as key, though two of its roles have it
    RoleQualificationFactory(role=roles[0], qualification=qualifications[0], is_key=True)
    RoleQualificationFactory(role=roles[1], qualification=qualifications[0], is_key=False)

    # judgements: the default framework's areas, and another framework's (ignored)
    others = list(Area.objects.filter(framework__is_default=False))
    for module in modules:
        for number in rng.sample(range(1, 7), rng.randint(0, 3)):
            AttributeFactory(qualification=None, module=module, area=default_area(number))
        if rng.random() < 0.3:
            area = rng.choice(others)
            AttributeFactory(
                qualification=None,
                module=module,
                area=area,
                element=Element.objects.filter(area=area).first(),
            )
    for q, qualification in enumerate(qualifications):
        if rng.random() < 0.25:
            AttributeFactory(qualification=qualification, area=default_area(rng.randint(1, 6)))
        status = rng.choice(STATUSES) if q > 2 else ["approved", None, "draft"][q]
        if status:
            MappingReviewFactory(qualification=qualification, **({status: True} if status != "draft" else {}))
    # published in two rounds; mapped only in the other framework
    MappingReviewFactory(qualification=qualifications[0], round=2, accepted=True)
    MappingReviewFactory(qualification=qualifications[1], framework=others[0].framework, approved=True)


def floor_rows(name: str) -> list[tuple]:
    floor = floors()[name]
    with connection.cursor() as cursor:
        return floor.run(cursor)


def report_rows(name: str, table: str | None = None) -> list[tuple]:
    params, _ = read_params(QueryDict(""))
    result = REPORTS[name].build(params)
    found = result.main if table is None else result.table(table)
    assert found is not None
    return list(found.rows)


def share(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else "0.0000"


def area_cells(modules: int, counts: list[int], any_area: int) -> list:
    """The report's area columns: each area's count and share, then none and any."""
    cells: list = []
    for n in counts:
        cells += [n, share(n, modules)]
    none = modules - any_area
    return [*cells, none, share(none, modules), any_area, share(any_area, modules)]


@pytest.fixture(scope="module", params=[False, True], ids=["sparse", "dense"])
def world(request, django_db_setup, django_db_blocker):
    """One world per variant for all the tests of this module (built once: it is read
    only), rolled back at the end. The fast hasher of conftest.py is per test: here too."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(PASSWORD_HASHERS=MD5):
        build_world(7, dense=request.param)
        yield request.param
        transaction.set_rollback(True)


def test_every_report_has_a_floor():
    assert set(floors()) == set(REPORTS)


def test_the_world_has_the_cases_the_floors_must_handle(world):
    coverage = report_rows("coverage")
    provision = report_rows("provision")
    assert 0 < len(coverage) < 30  # mapped and unmapped qualifications
    assert any(row[2] == "" for row in coverage)  # an unlevelled mapped qualification
    assert sum(1 for row in provision if row[1] == "Role 00") == 2  # a role in two clusters
    assert ("Cluster E (no roles)", "", *[0] * 12) in provision
    shared = report_rows("shared-modules")
    assert any(row[3] and row[4] for row in shared)  # mandatory in one, optional in another
    pairs = report_rows("shared-modules", "pairs")
    assert len(pairs) == TOP
    # sparse: pairs sharing one module make the list; dense: only pairs sharing two or more
    assert (pairs[-1][4] >= 2) is world


def test_provision_floor(world):
    expected = report_rows("provision")
    got = [
        ("All clusters" if cluster is None else cluster, role or "", *counts)
        for cluster, role, *counts in floor_rows("provision")
    ]
    assert got == expected


def test_coverage_floor(world):
    expected = report_rows("coverage")
    got = [
        (ref, title, level_code(level), covered, *["yes" if flag else "no" for flag in flags])
        for ref, title, level, covered, *flags in floor_rows("coverage")
    ]
    assert got == expected


def test_module_areas_floor(world):
    expected = report_rows("module-areas")
    [(modules, *counts, none)] = floor_rows("module-areas")
    got = [(number, n, share(n, modules)) for number, n in enumerate(counts, start=1)]
    got.append(("none", none, share(none, modules)))
    assert got == expected


def test_role_gaps_floor(world):
    expected = [row[1:] for row in report_rows("role-gaps")]  # the floor leaves out clusters
    got = []
    for role, keys, mapped, *reached in floor_rows("role-gaps"):
        missing = ";".join(str(n) for n, flag in enumerate(reached, start=1) if flag is None)
        note = "no key qualification" if not keys else "no key qualification mapped yet" if not mapped else ""
        got.append((role, keys, mapped, missing, note))
    assert got == expected


def test_level_gaps_floor(world):
    expected = report_rows("level-gaps")
    got = []
    for cluster, *flags in floor_rows("level-gaps"):
        present = [level for level, flag in enumerate(flags) if flag]
        missing = [n for n in range(present[0], present[-1] + 1) if n not in present] if present else []
        got.append((cluster, ";".join(map(level_code, present)), ";".join(map(level_code, missing))))
    assert got == expected


def test_coverage_by_level_floor(world):
    expected = report_rows("coverage-by-level")
    found = {
        level: (modules, counts, any_area)
        for level, modules, *counts, any_area in floor_rows("coverage-by-level")
    }
    got, totals = [], [0] * 8
    for level in [0, 1, 2, 3, 4, 5, 6, 7, 8, None]:
        modules, counts, any_area = found.get(level, (0, [0] * 6, 0))
        totals = [t + n for t, n in zip(totals, [modules, *counts, any_area], strict=True)]
        label = "not levelled" if level is None else level_code(level)
        got.append((label, modules, *area_cells(modules, counts, any_area)))
    got.append(("all", totals[0], *area_cells(totals[0], totals[1:7], totals[7])))
    assert got == expected


def test_coverage_by_cluster_floor(world):
    expected = report_rows("coverage-by-cluster")
    got = [
        (cluster, mapped, modules, *area_cells(modules, counts, any_area))
        for cluster, mapped, modules, *counts, any_area in floor_rows("coverage-by-cluster")
    ]
    assert got == expected


def test_over_provision_floor(world):
    expected = report_rows("over-provision")
    rows = floor_rows("over-provision")
    middle = statistics.median([n for _, *levelled, _ in rows for n in levelled if n])
    got = [
        (cluster, *[f"{n} (over)" if n and n >= 2 * middle else n for n in levelled], not_levelled)
        for cluster, *levelled, not_levelled in rows
    ]
    assert got == expected
    assert any(" (over)" in str(cell) for row in got for cell in row)


def test_shared_modules_floor(world):
    rows = floor_rows("shared-modules")
    modules = [
        (ref, title, n, mandatory, optional)
        for kind, ref, title, _, _, n, mandatory, optional in rows
        if kind == "module"
    ]
    pairs = [
        (ref_a, title_a, ref_b, title_b, shared)
        for kind, ref_a, title_a, ref_b, title_b, shared, _, _ in rows
        if kind == "pair"
    ]
    assert modules[:TOP] == report_rows("shared-modules")
    assert pairs[:TOP] == report_rows("shared-modules", "pairs")


def test_shared_modules_floor_ranks_no_pairs_beyond_the_pairing_limit(world, monkeypatch):
    from qualifications.models import QualificationModule
    from reports import extra
    from tooling.bench import floors as floor_module

    users: dict[int, int] = {}
    for module_id in QualificationModule.objects.values_list("module_id", flat=True):
        users[module_id] = users.get(module_id, 0) + 1
    pairings = sum(n * (n - 1) // 2 for n in users.values())
    for limit, ranked in [(pairings, True), (pairings - 1, False)]:
        monkeypatch.setattr(extra, "PAIRINGS_LIMIT", limit)
        monkeypatch.setattr(floor_module, "PAIRINGS_LIMIT", limit)
        pairs = [row for row in floor_rows("shared-modules") if row[0] == "pair"]
        assert bool(pairs) == ranked
        assert len(pairs) == len(report_rows("shared-modules", "pairs"))
