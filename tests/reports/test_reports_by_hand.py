"""The coverage-by-level, coverage-by-cluster, over-provision and shared-modules reports.

Small worlds with the expected rows worked out by hand; random worlds compared with a
plain-Python oracle written from DESIGN.md §4; the page and the CSV showing the same cells;
a query count that does not grow with the data; 400 for unknown parameters.
"""

import pytest

from reports.base import HEAT_LEGEND, Chart, heat_colours, place_heatmap
from tests.support.factories import (
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
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
    as_text,
    build,
    csv_rows,
    judge,
    member,
    publish,
)
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


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


LEVEL_COLUMNS = [
    "level",
    "modules",
    "area_1",
    "area_1_share",
    "area_2",
    "area_2_share",
    "area_3",
    "area_3_share",
    "area_4",
    "area_4_share",
    "area_5",
    "area_5_share",
    "area_6",
    "area_6_share",
    "none",
    "none_share",
    "any_area",
    "any_area_share",
]


def _empty_level(label: str) -> tuple:
    return (label, 0, *[0, "0.0000"] * 8)


def test_coverage_by_level_counts_the_modules_of_mapped_qualifications_by_hand(client, levels_world):
    expected = [
        _empty_level("E"),
        _empty_level("1"),
        (
            "2",
            2,
            2,
            "1.0000",
            1,
            "0.5000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            2,
            "1.0000",
        ),
        (
            "3",
            2,
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "0.5000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "0.5000",
            1,
            "0.5000",
        ),
        *[_empty_level(code) for code in "45678"],
        (
            "not levelled",
            1,
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "1.0000",
            0,
            "0.0000",
            1,
            "1.0000",
        ),
        (
            "all",
            5,
            2,
            "0.4000",
            1,
            "0.2000",
            1,
            "0.2000",
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "0.2000",
            1,
            "0.2000",
            4,
            "0.8000",
        ),
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
    assert (
        rows[3]
        == as_text(
            [
                (
                    "3",
                    1,
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    1,
                    "1.0000",
                    0,
                    "0.0000",
                )
            ]
        )[0]
    )
    assert (
        rows[-1]
        == as_text(
            [
                (
                    "all",
                    4,
                    2,
                    "0.5000",
                    1,
                    "0.2500",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    0,
                    "0.0000",
                    1,
                    "0.2500",
                    1,
                    "0.2500",
                    3,
                    "0.7500",
                )
            ]
        )[0]
    )


def test_coverage_by_level_chart_numbers_are_in_the_table(client, levels_world):
    result = build("coverage-by-level")
    bars, heatmap = result.charts
    assert [bar.text for bar in bars.bars] == [
        "no modules",
        "no modules",
        "100%",
        "50%",
        *["no modules"] * 5,
        "100%",
    ]
    # level 2's heatmap row: M1 and M2 cover area 1, M1 area 2
    assert heatmap.rows[2] == "Level 2"
    assert heatmap.cells[2] == [
        (1.0, "100%"),
        (0.5, "50%"),
        (0.0, "0%"),
        (0.0, "0%"),
        (0.0, "0%"),
        (0.0, "0%"),
    ]
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
        (
            "Alpha",
            2,
            3,
            1,
            "0.3333",
            1,
            "0.3333",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "0.3333",
            2,
            "0.6667",
        ),
        (
            "Beta",
            1,
            2,
            0,
            "0.0000",
            1,
            "0.5000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            0,
            "0.0000",
            1,
            "0.5000",
            1,
            "0.5000",
        ),
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
    assert rows == as_text(
        [
            (
                "Alpha",
                2,
                2,
                1,
                "0.5000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                1,
                "0.5000",
                1,
                "0.5000",
            ),
            (
                "Beta",
                1,
                1,
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                1,
                "1.0000",
                0,
                "0.0000",
            ),
            ("Gamma", 0, 0, *[0, "0.0000"] * 8),
        ]
    )


def test_coverage_by_cluster_follows_the_chosen_scheme_and_cluster(client, clusters_world):
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv?scheme=services")
    assert rows == as_text(
        [
            (
                "Other",
                1,
                1,
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                1,
                "1.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                0,
                "0.0000",
                1,
                "1.0000",
            )
        ]
    )
    header, *rows = csv_rows(client, "/reports/coverage-by-cluster.csv?cluster=beta")
    assert [row[:3] for row in rows] == [["Beta", "1", "2"]]


def test_coverage_by_cluster_draws_a_heatmap_with_each_share_written_in_its_cell(client, clusters_world):
    (chart,) = build("coverage-by-cluster").charts
    assert chart.rows == ["Alpha", "Beta", "Gamma"]
    assert chart.columns[0] == "Area 1 Communication"
    assert [text for _, text in chart.cells[0]] == ["33%", "33%", "0%", "0%", "0%", "0%"]
    assert [text for _, text in chart.cells[2]] == ["–"] * 6
    html = client.get("/reports/coverage-by-cluster/").content.decode()
    svg = html[html.index('<svg role="img"') : html.index("</svg>")]
    assert "Share of each cluster&#x27;s modules covering each area" in svg  # <title>
    assert svg.count("<rect") == 3 * 6 + len(HEAT_LEGEND)
    assert ">33%</text>" in svg and ">50%</text>" in svg
    assert ">Alpha</text>" in svg and "Communication</tspan>" in svg


# -- the heatmap drawing -----------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
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
    chart = Chart(
        "t",
        "d",
        rows=["One", "A cluster with a very long name indeed, really"],
        columns=["Area 1 Communication", "Area 2"],
        cells=[[(0.0, "0%"), (1.0, "100%")], [(0.5, "50%"), (0.25, "25%")]],
    )
    placed = place_heatmap(chart)
    assert [(c.text.text, c.fill) for c in placed.cells] == [
        ("0%", "#f4f8fb"),
        ("100%", "#16548a"),
        ("50%", "#8eb8dc"),
        ("25%", "#d2e2f1"),
    ]
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
        ["cluster", "level", "qualifications", "median"],
        ["A", "3", "6", "2"],
    ]


def test_over_provision_median_of_an_even_number_of_cells_is_between_the_middle_two(client, provision_world):
    # only B: cells 2 and 3, median 2.5, nothing reaches 5
    header, *rows = csv_rows(client, "/reports/over-provision.csv?cluster=b")
    assert rows == as_text([("B", 0, 0, 2, 0, 3, 0, 0, 0, 0, 0)])
    assert csv_rows(client, "/reports/over-provision/over.csv?cluster=b")[1:] == []
    assert (
        "The median of the 2 non-empty cluster and level cells is 2.5"
        in client.get("/reports/over-provision/?cluster=b").content.decode()
    )


def test_over_provision_counts_only_key_qualifications_when_asked(client, provision_world):
    # key links: A's six level-3 qualifications only; one cell, its own median: 6 ≥ 12 fails
    header, *rows = csv_rows(client, "/reports/over-provision.csv?key_only=yes")
    assert rows == as_text([("A", 0, 0, 0, 6, 0, 0, 0, 0, 0, 0), ("B", *[0] * 10), ("C", *[0] * 10)])


def test_over_provision_ladder_chart_marks_the_over_cells(client, provision_world):
    (chart,) = build("over-provision").charts
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
    pairs = [
        ("A1", "Award A", "B1", "Award B", 2),
        ("A1", "Award A", "C1", "Award C", 1),
        ("B1", "Award B", "C1", "Award C", 1),
        ("B1", "Award B", "D1", "Award D", 1),
    ]
    result = build("shared-modules")
    assert list(result.main.rows) == modules
    assert list(result.table("pairs").rows) == pairs
    assert csv_rows(client, "/reports/shared-modules.csv") == [
        ["ref", "title", "qualifications", "mandatory_in", "optional_in"],
        *as_text(modules),
    ]
    assert csv_rows(client, "/reports/shared-modules/pairs.csv") == [
        ["ref_a", "title_a", "ref_b", "title_b", "shared_modules"],
        *as_text(pairs),
    ]


def test_shared_modules_stay_within_the_chosen_level(client, shared_world):
    header, *rows = csv_rows(client, "/reports/shared-modules.csv?level=3")
    assert rows == as_text(
        [("MOD-1", "Unit 1", 2, 1, 1), ("MOD-2", "Unit 2", 2, 2, 0), ("MOD-4", "Unit 4", 2, 0, 2)]
    )
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
        ["ref_a", "title_a", "ref_b", "title_b", "shared_modules"]
    ]
    page = page_text(client.get("/reports/shared-modules/"))
    assert "not ranked for a selection this large" in page
    assert "pair them 5 times" in page and "at most 4 times" in page
    # a narrower selection is ranked: level 3 leaves MOD-1 in A1 and B1, MOD-2, MOD-4: 3
    assert csv_rows(client, "/reports/shared-modules/pairs.csv?level=3")[1:] == as_text(
        [("A1", "Award A", "B1", "Award B", 2), ("B1", "Award B", "D1", "Award D", 1)]
    )
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
        for qualification in qualifications[: used[ref]]:
            member(qualification, module, mandatory=qualification.ref != "Q0")
    expected = sorted(used, key=lambda ref: (-used[ref], ref))[:50]
    result = build("shared-modules")
    assert [row[0] for row in result.main.rows] == expected
    assert [(row[2], row[3], row[4]) for row in result.main.rows] == [
        (used[ref], used[ref] - 1, 1) for ref in expected
    ]
    pairings = sum(n * (n - 1) // 2 for n in used.values())
    monkeypatch.setattr(extra, "PAIRINGS_LIMIT", pairings - 1)
    assert f"pair them {pairings:,} times" in page_text(client.get("/reports/shared-modules/"))


def test_shared_modules_csv_neutralises_formulas(client):
    module = ModuleFactory(ref="F1", title='=HYPERLINK("http://x")')
    for _ in range(2):
        member(QualificationFactory(), module)
    rows = csv_rows(client, "/reports/shared-modules.csv")
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
