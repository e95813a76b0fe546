"""The coverage-by-level, coverage-by-cluster, over-provision and shared-modules reports.

Small worlds with the expected rows worked out by hand; random worlds compared with a
plain-Python oracle written from DESIGN.md §4; the page and the CSV showing the same cells;
a query count that does not grow with the data; 400 for unknown parameters.
"""

import csv
import io
import random
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from reports.base import HEAT_LEGEND, Chart, heat_colours, place_heatmap
from reports.params import read_params
from reports.registry import REPORTS
from roles.models import ClusterScheme
from tests.conftest import axe_violations
from tests.factories import (
    AreaFactory,
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.pages import page_text, tables_of

pytestmark = pytest.mark.django_db

NAMES = ["coverage-by-level", "coverage-by-cluster", "over-provision", "shared-modules"]
LEVEL_CODES = ["E", "1", "2", "3", "4", "5", "6", "7", "8"]


# -- reading what the user gets ----------------------------------------------------------


def page_tables(client, name: str, query: str = "") -> list[list[list[str]]]:
    response = client.get(f"/reports/{name}/?{query}")
    assert response.status_code == 200
    return [table["rows"] for table in tables_of(response)]


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def build(name: str, query: str = ""):
    params, _ = read_params(QueryDict(query))
    return REPORTS[name].build(params)


def as_text(rows) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in rows]


def publish(qualification, *, accepted: bool = False):
    if accepted:
        MappingReviewFactory(qualification=qualification, accepted=True)
    else:
        MappingReviewFactory(qualification=qualification, approved=True)


def member(qualification, module, mandatory: bool = True):
    QualificationModuleFactory(qualification=qualification, module=module, mandatory=mandatory)


def judge(module, *numbers: int):
    for number in numbers:
        AttributeFactory(qualification=None, module=module, area=default_area(number))


# -- coverage-by-level, by hand ----------------------------------------------------------


@pytest.fixture
def levels_world():
    """Q1 (mapped, approved): M1 level 2 mandatory, covers 1 and 2; M2 level 2 optional,
    covers 1; M3 level 3 mandatory, covers none; M4 not levelled mandatory, covers 6.
    Q2 (mapped, accepted; itself judged on area 4): M2 mandatory; M5 level 3 optional,
    covers 3. Q3 (draft grid, not mapped): M6 level 2, covers 1."""
    q1, q2, q3 = (QualificationFactory(level=3) for _ in range(3))
    publish(q1)
    publish(q2, accepted=True)
    MappingReviewFactory(qualification=q3)
    AttributeFactory(qualification=q2, area=default_area(4))
    m1, m2, m6 = (ModuleFactory(level=2) for _ in range(3))
    m3, m5 = ModuleFactory(level=3), ModuleFactory(level=3)
    m4 = ModuleFactory(level=None)
    judge(m1, 1, 2)
    judge(m2, 1)
    judge(m4, 6)
    judge(m5, 3)
    judge(m6, 1)
    member(q1, m1)
    member(q1, m2, mandatory=False)
    member(q1, m3)
    member(q1, m4)
    member(q2, m2)
    member(q2, m5, mandatory=False)
    member(q3, m6)


LEVEL_COLUMNS = ["level", "modules", "area_1", "area_1_share", "area_2", "area_2_share", "area_3",
                 "area_3_share", "area_4", "area_4_share", "area_5", "area_5_share", "area_6",
                 "area_6_share", "none", "none_share", "any_area", "any_area_share"]


def _empty_level(label: str) -> tuple:
    return (label, 0, *[0, "0.0000"] * 8)


def test_coverage_by_level_counts_the_modules_of_mapped_qualifications_by_hand(client, levels_world):
    expected = [
        _empty_level("E"),
        _empty_level("1"),
        ("2", 2, 2, "1.0000", 1, "0.5000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000",
         0, "0.0000", 2, "1.0000"),
        ("3", 2, 0, "0.0000", 0, "0.0000", 1, "0.5000", 0, "0.0000", 0, "0.0000", 0, "0.0000",
         1, "0.5000", 1, "0.5000"),
        *[_empty_level(code) for code in "45678"],
        ("not levelled", 1, 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000",
         1, "1.0000", 0, "0.0000", 1, "1.0000"),
        ("all", 5, 2, "0.4000", 1, "0.2000", 1, "0.2000", 0, "0.0000", 0, "0.0000", 1, "0.2000",
         1, "0.2000", 4, "0.8000"),
    ]
    result = build("coverage-by-level")
    assert result.main.columns == LEVEL_COLUMNS
    assert list(result.main.rows) == expected
    header, *rows = csv_rows(client, "/reports/coverage-by-level.csv")
    assert header == LEVEL_COLUMNS
    assert rows == as_text(expected)


def test_coverage_by_level_under_guaranteed_coverage_keeps_modules_mandatory_somewhere(client, levels_world):
    # M5 is optional in its only mapped qualification; M2 is mandatory in Q2, so it stays.
    header, *rows = csv_rows(client, "/reports/coverage-by-level.csv?coverage=guaranteed")
    assert rows[3] == as_text([("3", 1, 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0,
                                "0.0000", 0, "0.0000", 1, "1.0000", 0, "0.0000")])[0]
    assert rows[-1] == as_text([("all", 4, 2, "0.5000", 1, "0.2500", 0, "0.0000", 0, "0.0000",
                                 0, "0.0000", 1, "0.2500", 1, "0.2500", 3, "0.7500")])[0]


def test_coverage_by_level_chart_numbers_are_in_the_table(client, levels_world):
    result = build("coverage-by-level")
    bars, heatmap = result.charts
    assert [bar.text for bar in bars.bars] == ["no modules", "no modules", "100%", "50%",
                                               *["no modules"] * 5, "100%"]
    # level 2's heatmap row: M1 and M2 cover area 1, M1 area 2
    assert heatmap.rows[2] == "Level 2"
    assert heatmap.cells[2] == [(1.0, "100%"), (0.5, "50%"), (0.0, "0%"), (0.0, "0%"), (0.0, "0%"),
                                (0.0, "0%")]
    assert heatmap.cells[0] == [(0.0, "–")] * 6
    html = client.get("/reports/coverage-by-level/").content.decode()
    assert "Share of modules covering at least one area, by module level" in html
    assert "Level 2: 2 of 2 modules" in html  # the text alternative


# -- coverage-by-cluster, by hand --------------------------------------------------------


@pytest.fixture
def clusters_world():
    """Default scheme: Alpha (roles R1, R2), Beta (R2), Gamma (no role); another scheme:
    Other (R3). QA (mapped, key for R1): M1 mandatory covers 1, M2 optional covers 2.
    QB (mapped, linked to R2, not key): M2 optional, M3 mandatory covers none.
    QC (not mapped, linked to R1): M4 covers 3. QD (mapped, linked to R3): M5 covers 4."""
    scheme = ClusterSchemeFactory(name="Workforce", slug="workforce", is_default=True)
    other = ClusterSchemeFactory(name="Services", slug="services")
    alpha = ClusterFactory(scheme=scheme, name="Alpha", slug="alpha")
    beta = ClusterFactory(scheme=scheme, name="Beta", slug="beta")
    ClusterFactory(scheme=scheme, name="Gamma", slug="gamma")
    elsewhere = ClusterFactory(scheme=other, name="Other", slug="other")
    r1, r2, r3 = RoleFactory(), RoleFactory(), RoleFactory()
    RoleClusterFactory(role=r1, cluster=alpha)
    RoleClusterFactory(role=r2, cluster=alpha)
    RoleClusterFactory(role=r2, cluster=beta)
    RoleClusterFactory(role=r3, cluster=elsewhere)
    qa, qb, qc, qd = (QualificationFactory() for _ in range(4))
    for qualification in (qa, qb, qd):
        publish(qualification)
    RoleQualificationFactory(role=r1, qualification=qa, is_key=True)
    RoleQualificationFactory(role=r2, qualification=qb)
    RoleQualificationFactory(role=r1, qualification=qc)
    RoleQualificationFactory(role=r3, qualification=qd)
    m1, m2, m3, m4, m5 = (ModuleFactory() for _ in range(5))
    judge(m1, 1)
    judge(m2, 2)
    judge(m4, 3)
    judge(m5, 4)
    member(qa, m1)
    member(qa, m2, mandatory=False)
    member(qb, m2, mandatory=False)
    member(qb, m3)
    member(qc, m4)
    member(qd, m5)


CLUSTER_COLUMNS = ["cluster", "mapped_qualifications", "modules", *LEVEL_COLUMNS[2:]]


def test_coverage_by_cluster_counts_each_cluster_modules_by_hand(client, clusters_world):
    expected = [
        ("Alpha", 2, 3, 1, "0.3333", 1, "0.3333", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0,
         "0.0000", 1, "0.3333", 2, "0.6667"),
        ("Beta", 1, 2, 0, "0.0000", 1, "0.5000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0,
         "0.0000", 1, "0.5000", 1, "0.5000"),
        ("Gamma", 0, 0, *[0, "0.0000"] * 8),
    ]
    result = build("coverage-by-cluster")
    assert result.main.columns == CLUSTER_COLUMNS
    assert list(result.main.rows) == expected
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv")
    assert header == CLUSTER_COLUMNS
    assert rows == as_text(expected)


def test_coverage_by_cluster_guaranteed_drops_modules_optional_in_all_the_cluster_has(client, clusters_world):
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv?coverage=guaranteed")
    assert rows == as_text([
        ("Alpha", 2, 2, 1, "0.5000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0,
         "0.0000", 1, "0.5000", 1, "0.5000"),
        ("Beta", 1, 1, 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0, "0.0000", 0,
         "0.0000", 1, "1.0000", 0, "0.0000"),
        ("Gamma", 0, 0, *[0, "0.0000"] * 8),
    ])


def test_coverage_by_cluster_follows_the_chosen_scheme_and_cluster(client, clusters_world):
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv?scheme=services")
    assert rows == as_text([("Other", 1, 1, 0, "0.0000", 0, "0.0000", 0, "0.0000", 1, "1.0000",
                             0, "0.0000", 0, "0.0000", 0, "0.0000", 1, "1.0000")])
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv?cluster=beta")
    assert [row[:3] for row in rows] == [["Beta", "1", "2"]]


def test_coverage_by_cluster_draws_a_heatmap_with_each_share_written_in_its_cell(client, clusters_world):
    chart, = build("coverage-by-cluster").charts
    assert chart.rows == ["Alpha", "Beta", "Gamma"]
    assert chart.columns[0] == "Area 1 Communication"
    assert [text for _, text in chart.cells[0]] == ["33%", "33%", "0%", "0%", "0%", "0%"]
    assert [text for _, text in chart.cells[2]] == ["–"] * 6
    html = client.get("/reports/coverage-by-cluster/").content.decode()
    svg = html[html.index('<svg role="img"'):html.index("</svg>")]
    assert "Share of each cluster&#x27;s modules covering each area" in svg  # <title>
    assert svg.count("<rect") == 3 * 6 + len(HEAT_LEGEND)
    assert ">33%</text>" in svg and ">50%</text>" in svg
    assert ">Alpha</text>" in svg and "Communication</tspan>" in svg


# -- the heatmap drawing -----------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("value", [0.0, 0.19, 0.2, 0.39, 0.4, 0.59, 0.6, 0.79, 0.8, 1.0])
def test_every_heatmap_shade_keeps_its_text_readable(value):
    fill, ink = heat_colours(value)
    assert contrast(fill, ink) >= 4.5


def test_heatmap_shades_grow_darker_with_the_value():
    fills = [heat_colours(v)[0] for v in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert len(set(fills)) == 5
    assert [_luminance(f) for f in fills] == sorted((_luminance(f) for f in fills), reverse=True)


def test_heatmap_places_one_cell_per_value_in_rows_and_columns():
    chart = Chart("t", "d", rows=["One", "A cluster with a very long name indeed, really"],
                  columns=["Area 1 Communication", "Area 2"],
                  cells=[[(0.0, "0%"), (1.0, "100%")], [(0.5, "50%"), (0.25, "25%")]])
    placed = place_heatmap(chart)
    assert [(c.text.text, c.fill) for c in placed.cells] == [
        ("0%", "#f4f8fb"), ("100%", "#16548a"), ("50%", "#8eb8dc"), ("25%", "#d2e2f1")]
    xs = sorted({c.x for c in placed.cells})
    ys = sorted({c.y for c in placed.cells})
    assert len(xs) == 2 and len(ys) == 2
    assert xs[1] - xs[0] == placed.cell_width and ys[1] - ys[0] == placed.cell_height
    assert placed.columns[0].lines == ("Area 1", "Communication")
    assert placed.rows[1].text.endswith("…") and placed.rows[1].full.endswith("really")
    assert all(c.x + placed.cell_width <= placed.width for c in placed.cells)
    assert place_heatmap(Chart("bars only", "d")) is None


# -- over-provision, by hand -------------------------------------------------------------


@pytest.fixture
def provision_world():
    """Cluster A: six level-3 qualifications (one linked to two of its roles), five not
    levelled, and X2 (level 2) through role RAB, which is in A and B. Cluster B: X2 and Y2
    (level 2), three at level 4. Cluster C: one at level 3. Non-empty levelled cells:
    A2=1, A3=6, B2=2, B4=3, C3=1; median 2, so A3 (6 ≥ 4) is over-provision."""
    scheme = ClusterSchemeFactory(name="Workforce", slug="workforce", is_default=True)
    a, b, c = (ClusterFactory(scheme=scheme, name=n, slug=n.lower()) for n in "ABC")
    ra, ra2, rab, rb, rc = (RoleFactory() for _ in range(5))
    for role, cluster in [(ra, a), (ra2, a), (rab, a), (rab, b), (rb, b), (rc, c)]:
        RoleClusterFactory(role=role, cluster=cluster)
    threes = [QualificationFactory(level=3) for _ in range(6)]
    for qualification in threes:
        RoleQualificationFactory(role=ra, qualification=qualification, is_key=True)
    RoleQualificationFactory(role=ra2, qualification=threes[0])
    for _ in range(5):
        RoleQualificationFactory(role=ra, qualification=QualificationFactory(level=None))
    RoleQualificationFactory(role=rab, qualification=QualificationFactory(level=2))
    RoleQualificationFactory(role=rb, qualification=QualificationFactory(level=2))
    for _ in range(3):
        RoleQualificationFactory(role=rb, qualification=QualificationFactory(level=4))
    RoleQualificationFactory(role=rc, qualification=QualificationFactory(level=3))


OVER_COLUMNS = ["cluster", *[f"level_{code}" for code in LEVEL_CODES], "not_levelled"]


def test_over_provision_marks_cells_at_least_twice_the_median_by_hand(client, provision_world):
    expected = [
        ("A", 0, 0, 1, "6 (over)", 0, 0, 0, 0, 0, 5),
        ("B", 0, 0, 2, 0, 3, 0, 0, 0, 0, 0),
        ("C", 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    ]
    result = build("over-provision")
    assert result.main.columns == OVER_COLUMNS
    assert list(result.main.rows) == expected
    assert list(result.table("over").rows) == [("A", "3", 6, "2")]
    header, *rows = csv_rows(client, "/reports/over-provision.csv")
    assert header == OVER_COLUMNS
    assert rows == as_text(expected)
    assert csv_rows(client, "/reports/over-provision/over.csv") == [
        ["cluster", "level", "qualifications", "median"], ["A", "3", "6", "2"]]


def test_over_provision_median_of_an_even_number_of_cells_is_between_the_middle_two(client, provision_world):
    # only B: cells 2 and 3, median 2.5, nothing reaches 5
    header, *rows = csv_rows(client, "/reports/over-provision.csv?cluster=b")
    assert rows == as_text([("B", 0, 0, 2, 0, 3, 0, 0, 0, 0, 0)])
    assert csv_rows(client, "/reports/over-provision/over.csv?cluster=b")[1:] == []
    assert "The median of the 2 non-empty cluster and level cells is 2.5" in \
        client.get("/reports/over-provision/?cluster=b").content.decode()


def test_over_provision_counts_only_key_qualifications_when_asked(client, provision_world):
    # key links: A's six level-3 qualifications only; one cell, its own median: 6 ≥ 12 fails
    header, *rows = csv_rows(client, "/reports/over-provision.csv?key_only=yes")
    assert rows == as_text([("A", 0, 0, 0, 6, 0, 0, 0, 0, 0, 0),
                            ("B", *[0] * 10), ("C", *[0] * 10)])


def test_over_provision_ladder_chart_marks_the_over_cells(client, provision_world):
    chart, = build("over-provision").charts
    assert chart.rows == ["A", "B", "C"]
    assert chart.cells[0][3] == (1.0, "6 (over)")
    assert chart.cells[1][2] == (0.3, "2") and chart.cells[1][3] == (0.0, "")
    html = client.get("/reports/over-provision/").content.decode()
    assert ">6 (over)</text>" in html and "At least twice the median (2)" in html


# -- shared modules, by hand -------------------------------------------------------------


@pytest.fixture
def shared_world():
    """A1, B1, D1 at level 3, C1 at level 2. MOD-1 in A1 (mandatory), B1 (optional), C1
    (mandatory); MOD-2 in A1 and B1 (mandatory); MOD-3 in C1 only; MOD-4 in B1 and D1
    (optional)."""
    a, b, d = (QualificationFactory(ref=f"{x}1", title=f"Award {x}", level=3) for x in "ABD")
    c = QualificationFactory(ref="C1", title="Award C", level=2)
    m1, m2, m3, m4 = (ModuleFactory(ref=f"MOD-{n}", title=f"Unit {n}") for n in range(1, 5))
    member(a, m1)
    member(b, m1, mandatory=False)
    member(c, m1)
    member(a, m2)
    member(b, m2)
    member(c, m3)
    member(b, m4, mandatory=False)
    member(d, m4, mandatory=False)


def test_shared_modules_ranks_modules_and_pairs_by_hand(client, shared_world):
    modules = [("MOD-1", "Unit 1", 3, 2, 1), ("MOD-2", "Unit 2", 2, 2, 0), ("MOD-4", "Unit 4", 2, 0, 2)]
    pairs = [("A1", "Award A", "B1", "Award B", 2), ("A1", "Award A", "C1", "Award C", 1),
             ("B1", "Award B", "C1", "Award C", 1), ("B1", "Award B", "D1", "Award D", 1)]
    result = build("shared-modules")
    assert list(result.main.rows) == modules
    assert list(result.table("pairs").rows) == pairs
    assert csv_rows(client, "/reports/shared-modules.csv") == [
        ["ref", "title", "qualifications", "mandatory_in", "optional_in"], *as_text(modules)]
    assert csv_rows(client, "/reports/shared-modules/pairs.csv") == [
        ["ref_a", "title_a", "ref_b", "title_b", "shared_modules"], *as_text(pairs)]


def test_shared_modules_stay_within_the_chosen_level(client, shared_world):
    header, *rows = csv_rows(client, "/reports/shared-modules.csv?level=3")
    assert rows == as_text([("MOD-1", "Unit 1", 2, 1, 1), ("MOD-2", "Unit 2", 2, 2, 0),
                            ("MOD-4", "Unit 4", 2, 0, 2)])
    header, *rows = csv_rows(client, "/reports/shared-modules/pairs.csv?level=3")
    assert rows == as_text([("A1", "Award A", "B1", "Award B", 2), ("B1", "Award B", "D1", "Award D", 1)])


def test_shared_modules_ranks_no_pairs_beyond_the_pairing_limit(client, shared_world, monkeypatch):
    """MOD-1 in three qualifications pairs them three times, MOD-2 and MOD-4 once each: 5."""
    from reports import extra

    monkeypatch.setattr(extra, "PAIRINGS_LIMIT", 4)
    result = build("shared-modules")
    assert [row[0] for row in result.main.rows] == ["MOD-1", "MOD-2", "MOD-4"]
    assert list(result.table("pairs").rows) == []
    assert csv_rows(client, "/reports/shared-modules/pairs.csv") == [
        ["ref_a", "title_a", "ref_b", "title_b", "shared_modules"]]
    page = page_text(client.get("/reports/shared-modules/"))
    assert "not ranked for a selection this large" in page
    assert "pair them 5 times" in page and "at most 4 times" in page
    # a narrower selection is ranked: level 3 leaves MOD-1 in A1 and B1, MOD-2, MOD-4: 3
    assert csv_rows(client, "/reports/shared-modules/pairs.csv?level=3")[1:] == as_text(
        [("A1", "Award A", "B1", "Award B", 2), ("B1", "Award B", "D1", "Award D", 1)])
    monkeypatch.setattr(extra, "PAIRINGS_LIMIT", 5)
    assert len(list(build("shared-modules").table("pairs").rows)) == 4
    assert "not ranked" not in page_text(client.get("/reports/shared-modules/"))


def test_shared_modules_lists_at_most_fifty_of_each(client):
    p, q = QualificationFactory(ref="P"), QualificationFactory(ref="Q")
    for n in range(55):
        module = ModuleFactory(ref=f"S{n:02d}")
        member(p, module)
        member(q, module)
    result = build("shared-modules")
    assert [row[0] for row in result.main.rows] == [f"S{n:02d}" for n in range(50)]
    assert list(result.table("pairs").rows) == [("P", p.title, "Q", q.title, 55)]


def test_shared_modules_cut_at_fifty_orders_ties_across_the_cut_by_reference(client, monkeypatch):
    """Sixty modules used by 2 to 6 qualifications, twelve of each count, references given
    out of order: the fifty listed are the most used, ties ordered by reference, so the
    cut falls inside the twelve used twice; the pairings note counts every module."""
    from reports import extra

    qualifications = [QualificationFactory(ref=f"Q{n}") for n in range(6)]
    used = {}
    for n in range(60):
        ref = f"M{(n * 7) % 60:02d}"
        used[ref] = 2 + n % 5
        module = ModuleFactory(ref=ref)
        for qualification in qualifications[:used[ref]]:
            member(qualification, module, mandatory=qualification.ref != "Q0")
    expected = sorted(used, key=lambda ref: (-used[ref], ref))[:50]
    result = build("shared-modules")
    assert [row[0] for row in result.main.rows] == expected
    assert [(row[2], row[3], row[4]) for row in result.main.rows] == [
        (used[ref], used[ref] - 1, 1) for ref in expected]
    pairings = sum(n * (n - 1) // 2 for n in used.values())
    monkeypatch.setattr(extra, "PAIRINGS_LIMIT", pairings - 1)
    assert f"pair them {pairings:,} times" in page_text(client.get("/reports/shared-modules/"))


def test_shared_modules_csv_neutralises_formulas(client):
    module = ModuleFactory(ref="F1", title="=HYPERLINK(\"http://x\")")
    for _ in range(2):
        member(QualificationFactory(), module)
    rows = csv_rows(client, "/reports/shared-modules.csv")
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"


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
        world.quals[qualification.pk] = {"ref": qualification.ref, "title": qualification.title,
                                         "level": qualification.level,
                                         "mapped": status in ("approved", "accepted")}
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
    return {q for q, facts in world.quals.items()
            if (level is None or facts["level"] == level) and (not key_only or q in keys)}


def oracle_modules(world: World, qualifications: set[int], guaranteed: bool, level: int | None) -> set[int]:
    return {m for q, m, mandatory in world.memberships
            if q in qualifications and world.quals[q]["mapped"] and (mandatory or not guaranteed)
            and (level is None or world.modules[m]["level"] == level)}


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
        ([world.modules[m]["ref"], world.modules[m]["title"], str(len(flags)), str(sum(flags)),
          str(len(flags) - sum(flags))] for m, flags in users.items() if len(flags) >= 2),
        key=lambda row: (-int(row[2]), row[0]))
    assert csv_rows(client, f"/reports/shared-modules.csv?{query}")[1:] == modules[:50]
    pairs = []
    for a in held:
        for b in held:
            shared = held[a] & held[b]
            if world.quals[a]["ref"] < world.quals[b]["ref"] and shared:
                pairs.append([world.quals[a]["ref"], world.quals[a]["title"], world.quals[b]["ref"],
                              world.quals[b]["title"], str(len(shared))])
    pairs.sort(key=lambda row: (-int(row[4]), row[0], row[2]))
    assert csv_rows(client, f"/reports/shared-modules/pairs.csv?{query}")[1:] == pairs[:50]


# -- frameworks with elements: the rule decides when an area is covered ------------------


@pytest.mark.parametrize(("rule", "covering"), [
    # six modules: W judged on area 1 as a whole; E1, E2, E3 and E5 on that many of its
    # five elements; N on nothing. Half of five is three.
    ("any", 5), ("half", 3), ("all", 2),
])
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
    assert header == ["level", "modules", "area_1", "area_1_share", "none", "none_share",
                      "any_area", "any_area_share"]
    assert rows[3] == ["3", "6", str(covering), share, str(6 - covering),
                       f"{(6 - covering) / 6:.4f}", str(covering), share]
    header, *rows = csv_rows(client, f"/reports/coverage-by-cluster.csv?{query}")
    assert rows == [["Only", "1", "6", str(covering), share, str(6 - covering),
                     f"{(6 - covering) / 6:.4f}", str(covering), share]]


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
@pytest.mark.parametrize(("query", "message"), [
    ("level=9", "Level"), ("coverage=maybe", "Coverage"), ("scheme=nowhere", "nowhere"),
    ("key_only=perhaps", "Qualifications"), ("framework=nope", "nope"),
])
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
