"""The coverage-by-level, coverage-by-cluster, over-provision and shared-modules reports.

Small worlds with the expected rows worked out by hand; random worlds compared with a
plain-Python oracle written from DESIGN.md §4; the page and the CSV showing the same cells;
a query count that does not grow with the data; 400 for unknown parameters.
"""

import random
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from reports.base import HEAT_LEGEND
from reports.registry import REPORTS
from roles.models import ClusterScheme
from tests.conftest import axe_violations
from tests.support.factories import (
    AreaFactory,
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.support.more_reports import (
    LEVEL_CODES,
    NAMES,
    build,
    csv_rows,
    judge,
    member,
    page_tables,
    publish,
)

pytestmark = pytest.mark.django_db


# -- random worlds and a plain-Python oracle ---------------------------------------------


@dataclass
class World:
    scheme: object
    clusters: dict[int, str] = field(default_factory=dict)  # default scheme: pk → name
    members: dict[int, set[int]] = field(default_factory=dict)  # cluster pk → role pks
    quals: dict[int, dict] = field(default_factory=dict)  # pk → ref, title, level, mapped
    links: list[tuple[int, int, bool]] = field(default_factory=list)  # role, qualification, key
    modules: dict[int, dict] = field(default_factory=dict)  # pk → ref, title, level
    memberships: list[tuple[int, int, bool]] = field(default_factory=list)  # q, m, mandatory
    covered: dict[int, set[int]] = field(default_factory=dict)  # module pk → area numbers


def random_world(seed: int, qualifications: int = 16, modules: int = 20) -> World:
    rng = random.Random(seed)
    scheme = ClusterSchemeFactory(is_default=True)
    other = ClusterSchemeFactory()
    world = World(scheme)
    clusters = [ClusterFactory(scheme=scheme) for _ in range(4)] + [ClusterFactory(scheme=other)]
    roles = [RoleFactory() for _ in range(7)]
    for cluster in clusters:
        chosen = rng.sample(roles, rng.randint(0, 3))
        for role in chosen:
            RoleClusterFactory(role=role, cluster=cluster)
        if cluster.scheme_id == scheme.pk:
            world.clusters[cluster.pk] = cluster.name
            world.members[cluster.pk] = {r.pk for r in chosen}
    levels = [None, 0, 2, 3, 3, 4, 5]
    mods = []
    for _ in range(modules):
        module = ModuleFactory(level=rng.choice(levels))
        mods.append(module)
        numbers = set(rng.sample(range(1, 7), rng.randint(0, 3)))
        judge(module, *numbers)
        world.modules[module.pk] = {"ref": module.ref, "title": module.title, "level": module.level}
        world.covered[module.pk] = numbers
    for _ in range(qualifications):
        qualification = QualificationFactory(level=rng.choice(levels))
        status = rng.choice(["approved", "accepted", "draft", "none"])
        if status in ("approved", "accepted"):
            publish(qualification, accepted=status == "accepted")
        elif status == "draft":
            MappingReviewFactory(qualification=qualification)
        if rng.random() < 0.2:
            AttributeFactory(qualification=qualification, area=default_area(rng.randint(1, 6)))
        world.quals[qualification.pk] = {
            "ref": qualification.ref,
            "title": qualification.title,
            "level": qualification.level,
            "mapped": status in ("approved", "accepted"),
        }
        for module in rng.sample(mods, rng.randint(0, 6)):
            mandatory = rng.random() < 0.5
            member(qualification, module, mandatory)
            world.memberships.append((qualification.pk, module.pk, mandatory))
        for role in rng.sample(roles, rng.randint(0, 2)):
            key = rng.random() < 0.5
            RoleQualificationFactory(role=role, qualification=qualification, is_key=key)
            world.links.append((role.pk, qualification.pk, key))
    return world


def oracle_base(world: World, level: int | None, key_only: bool) -> set[int]:
    keys = {q for _, q, key in world.links if key}
    return {
        q
        for q, facts in world.quals.items()
        if (level is None or facts["level"] == level) and (not key_only or q in keys)
    }


def oracle_modules(world: World, qualifications: set[int], guaranteed: bool, level: int | None) -> set[int]:
    return {
        m
        for q, m, mandatory in world.memberships
        if q in qualifications
        and world.quals[q]["mapped"]
        and (mandatory or not guaranteed)
        and (level is None or world.modules[m]["level"] == level)
    }


def oracle_area_cells(world: World, modules: set[int]) -> list[str]:
    def share(part, whole):
        return f"{part / whole:.4f}" if whole else "0.0000"

    cells = []
    for number in range(1, 7):
        n = sum(1 for m in modules if number in world.covered[m])
        cells += [str(n), share(n, len(modules))]
    covered = sum(1 for m in modules if world.covered[m])
    none = len(modules) - covered
    return [*cells, str(none), share(none, len(modules)), str(covered), share(covered, len(modules))]


def cluster_qualifications(world: World, cluster: int) -> set[int]:
    return {q for role, q, _ in world.links if role in world.members[cluster]}


QUERIES = ["", "coverage=guaranteed", "key_only=yes", "level=3"]


def _query_facts(query: str) -> tuple[int | None, bool, bool]:
    data = QueryDict(query)
    level = {"": None, "E": 0}.get(data.get("level", ""))
    if data.get("level", "").isdigit():
        level = int(data["level"])
    return level, data.get("key_only") == "yes", data.get("coverage") == "guaranteed"


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("query", QUERIES)
def test_coverage_by_level_matches_the_oracle(client, seed, query):
    world = random_world(seed)
    level, key_only, guaranteed = _query_facts(query)
    modules = oracle_modules(world, oracle_base(world, level, key_only), guaranteed, level)
    expected = []
    for code, value in [*zip(LEVEL_CODES, range(9), strict=True), ("not levelled", None)]:
        at = {m for m in modules if world.modules[m]["level"] == value}
        expected.append([code, str(len(at)), *oracle_area_cells(world, at)])
    expected.append(["all", str(len(modules)), *oracle_area_cells(world, modules)])
    assert csv_rows(client, f"/reports/coverage-by-level.csv?{query}")[1:] == expected


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("query", QUERIES)
def test_coverage_by_cluster_matches_the_oracle(client, seed, query):
    world = random_world(seed)
    level, key_only, guaranteed = _query_facts(query)
    base = oracle_base(world, level, key_only)
    expected = []
    for pk, name in sorted(world.clusters.items(), key=lambda item: item[1]):
        qualifications = cluster_qualifications(world, pk) & base
        mapped = {q for q in qualifications if world.quals[q]["mapped"]}
        modules = oracle_modules(world, mapped, guaranteed, level)
        expected.append([name, str(len(mapped)), str(len(modules)), *oracle_area_cells(world, modules)])
    assert csv_rows(client, f"/reports/coverage-by-cluster.csv?{query}")[1:] == expected


def oracle_median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@pytest.mark.parametrize("seed", [31, 32, 33, 34])
@pytest.mark.parametrize("query", ["", "key_only=yes"])
def test_over_provision_matches_the_oracle(client, seed, query):
    world = random_world(seed, qualifications=30)
    base = oracle_base(world, None, query == "key_only=yes")
    order = sorted(world.clusters.items(), key=lambda item: item[1])
    counts = {}
    for pk, _ in order:
        qualifications = cluster_qualifications(world, pk) & base
        for value in [*range(9), None]:
            counts[(pk, value)] = sum(1 for q in qualifications if world.quals[q]["level"] == value)
    filled = [n for (pk, value), n in counts.items() if value is not None and n]
    middle = oracle_median(filled) if filled else 0
    expected, over = [], []
    for pk, name in order:
        row = [name]
        for value in range(9):
            n = counts[(pk, value)]
            if n and n >= 2 * middle:
                row.append(f"{n} (over)")
                over.append([name, LEVEL_CODES[value], str(n), f"{middle:g}"])
            else:
                row.append(str(n))
        expected.append([*row, str(counts[(pk, None)])])
    assert csv_rows(client, f"/reports/over-provision.csv?{query}")[1:] == expected
    assert csv_rows(client, f"/reports/over-provision/over.csv?{query}")[1:] == over


@pytest.mark.parametrize("seed", [41, 42, 43])
@pytest.mark.parametrize("query", ["", "level=3", "key_only=yes"])
def test_shared_modules_matches_the_oracle(client, seed, query):
    world = random_world(seed, qualifications=24, modules=12)
    level, key_only, _ = _query_facts(query)
    base = oracle_base(world, level, key_only)
    users: dict[int, list[bool]] = {}
    held: dict[int, set[int]] = {}
    for q, m, mandatory in world.memberships:
        if q in base:
            users.setdefault(m, []).append(mandatory)
            held.setdefault(q, set()).add(m)
    modules = sorted(
        (
            [
                world.modules[m]["ref"],
                world.modules[m]["title"],
                str(len(flags)),
                str(sum(flags)),
                str(len(flags) - sum(flags)),
            ]
            for m, flags in users.items()
            if len(flags) >= 2
        ),
        key=lambda row: (-int(row[2]), row[0]),
    )
    assert csv_rows(client, f"/reports/shared-modules.csv?{query}")[1:] == modules[:50]
    pairs = []
    for a in held:
        for b in held:
            shared = held[a] & held[b]
            if world.quals[a]["ref"] < world.quals[b]["ref"] and shared:
                pairs.append(
                    [
                        world.quals[a]["ref"],
                        world.quals[a]["title"],
                        world.quals[b]["ref"],
                        world.quals[b]["title"],
                        str(len(shared)),
                    ]
                )
    pairs.sort(key=lambda row: (-int(row[4]), row[0], row[2]))
    assert csv_rows(client, f"/reports/shared-modules/pairs.csv?{query}")[1:] == pairs[:50]


# -- frameworks with elements: the rule decides when an area is covered ------------------


@pytest.mark.parametrize(
    ("rule", "covering"),
    [
        # six modules: W judged on area 1 as a whole; E1, E2, E3 and E5 on that many of its
        # five elements; N on nothing. Half of five is three.
        ("any", 5),
        ("half", 3),
        ("all", 2),
    ],
)
def test_coverage_by_level_and_by_cluster_apply_the_element_rule(client, rule, covering):
    framework = FrameworkFactory(name="Standards", slug="standards")
    area = AreaFactory(framework=framework, number=1, short_title="Practice")
    elements = [ElementFactory(area=area) for _ in range(5)]
    qualification = QualificationFactory()
    MappingReviewFactory(qualification=qualification, framework=framework, approved=True)
    cluster = ClusterFactory(scheme=ClusterSchemeFactory(is_default=True), name="Only")
    role = RoleFactory()
    RoleClusterFactory(role=role, cluster=cluster)
    RoleQualificationFactory(role=role, qualification=qualification)
    whole = ModuleFactory(level=3)
    AttributeFactory(qualification=None, module=whole, area=area, element=None)
    member(qualification, whole)
    for judged in (1, 2, 3, 5):
        module = ModuleFactory(level=3)
        for element in elements[:judged]:
            AttributeFactory(qualification=None, module=module, area=area, element=element)
        member(qualification, module)
    member(qualification, ModuleFactory(level=3))
    query = f"framework=standards&rule={rule}"
    share = f"{covering / 6:.4f}"
    header, *rows = csv_rows(client, f"/reports/coverage-by-level.csv?{query}")
    assert header == [
        "level",
        "modules",
        "area_1",
        "area_1_share",
        "none",
        "none_share",
        "any_area",
        "any_area_share",
    ]
    assert rows[3] == [
        "3",
        "6",
        str(covering),
        share,
        str(6 - covering),
        f"{(6 - covering) / 6:.4f}",
        str(covering),
        share,
    ]
    header, *rows = csv_rows(client, f"/reports/coverage-by-cluster.csv?{query}")
    assert rows == [
        [
            "Only",
            "1",
            "6",
            str(covering),
            share,
            str(6 - covering),
            f"{(6 - covering) / 6:.4f}",
            str(covering),
            share,
        ]
    ]


# -- the page shows what the CSV holds; queries; bad parameters --------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_page_shows_exactly_the_csv_rows(client, name):
    random_world(51)
    tables = page_tables(client, name)
    result = build(name)
    shown = [table for table in tables if table]
    expected = [csv_rows(client, f"/reports/{name}.csv")[1:]]
    expected += [csv_rows(client, f"/reports/{name}/{t.slug}.csv")[1:] for t in result.summaries]
    expected = [rows if rows else [["No rows for these parameters."]] for rows in expected]
    assert shown == expected


def _grow(n: int) -> None:
    """n of everything each report counts: clusters with roles, mapped qualifications at
    several levels, modules shared between them and judged on areas."""
    scheme = ClusterScheme.objects.filter(is_default=True).first() or ClusterSchemeFactory(is_default=True)
    previous = None
    for i in range(n):
        cluster = ClusterFactory(scheme=scheme)
        role = RoleFactory()
        RoleClusterFactory(role=role, cluster=cluster)
        qualification = QualificationFactory(level=i % 9)
        publish(qualification)
        RoleQualificationFactory(role=role, qualification=qualification, is_key=i % 2 == 0)
        module = ModuleFactory(level=i % 9)
        judge(module, 1 + i % 6)
        member(qualification, module)
        if previous is not None:
            member(qualification, previous, mandatory=False)
        previous = module


def _count_queries(client, urls: list[str]) -> list[int]:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        counts.append(len(queries))
    return counts


@pytest.mark.parametrize("name", NAMES)
def test_queries_do_not_grow_with_the_data(client, name):
    # Per URL: the parameters (default scheme, default framework, its areas); on the page
    # "as at"; then the report's own grouped queries: coverage-by-level one (modules by
    # level), shared-modules three (modules, how many pairings, pairs), the others two
    # (clusters and their counts; clusters and cells). None per row: 6/4 queries for the
    # level page/CSV, 8/6 for shared modules, 7/5 for the others.
    urls = [f"/reports/{name}/", f"/reports/{name}.csv", f"/reports/{name}/?coverage=guaranteed"]
    _grow(5)
    small = _count_queries(client, urls)
    _grow(25)
    large = _count_queries(client, urls)
    assert small == large
    assert max(large) <= (8 if name == "shared-modules" else 7)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("level=9", "Level"),
        ("coverage=maybe", "Coverage"),
        ("scheme=nowhere", "nowhere"),
        ("key_only=perhaps", "Qualifications"),
        ("framework=nope", "nope"),
    ],
)
def test_unknown_parameters_give_a_400_with_a_message(client, name, query, message):
    ClusterSchemeFactory(is_default=True)
    page = client.get(f"/reports/{name}/?{query}")
    assert page.status_code == 400
    assert message in page.content.decode()
    download = client.get(f"/reports/{name}.csv?{query}")
    assert download.status_code == 400
    assert message in download.content.decode()


def test_the_index_lists_the_four_reports_with_their_questions(client):
    html = client.get("/reports/").content.decode()
    for name in NAMES:
        assert f'href="/reports/{name}/"' in html
        assert REPORTS[name].question in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_four_report_pages_have_no_accessibility_violations(new_page, migrated_transactional_db):
    _grow(8)
    page = new_page()
    found = {}
    for name in NAMES:
        page.goto(f"/reports/{name}/")
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert found == {}
    page.goto("/reports/coverage-by-cluster/")
    heatmap = page.get_by_role("img", name="Share of each cluster's modules covering each area")
    assert heatmap.locator("rect").count() == 8 * 6 + len(HEAT_LEGEND)
