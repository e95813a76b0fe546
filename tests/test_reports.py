"""The five reports DESIGN.md §5 pins down, on factory data small enough to work by hand.

Every expected row below is written out literally and explained in a comment; none is
read back from the code under test. The downloads are parsed as a user would open them,
and the page's tables are parsed from its HTML. The property tests against a plain-Python
oracle are in ``test_reports_property.py``.
"""

import csv
import io
import re
import warnings
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

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

REPORT_NAMES = ["provision", "coverage", "module-areas", "role-gaps", "level-gaps"]
#: a spreadsheet runs or reinterprets a cell starting with one of these
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")


# -- reading what the user gets -----------------------------------------------------------


def download(client, name: str, fmt: str = "csv", table: str | None = None, **query):
    path = f"/reports/{name}.{fmt}" if table is None else f"/reports/{name}/{table}.{fmt}"
    return client.get(path, query)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(client, name: str, table: str | None = None, **query) -> list[list[str]]:
    """The CSV download as a spreadsheet would read it: header first."""
    response = download(client, name, "csv", table, **query)
    assert response.status_code == 200, body(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheet(client, name: str, table: str | None = None, **query):
    response = download(client, name, "xlsx", table, **query)
    assert response.status_code == 200, body(response)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes about styles are not our concern
        workbook = load_workbook(io.BytesIO(body(response)))
    return workbook.worksheets[0]


def xlsx_rows(client, name: str, table: str | None = None, **query) -> list[list[str]]:
    """The XLSX download's cells as text (a number as its digits, an empty cell as "")."""
    sheet = xlsx_sheet(client, name, table, **query)
    return [["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True)]


def page_tables(client, name: str, **query) -> list[dict]:
    response = client.get(f"/reports/{name}/", query)
    assert response.status_code == 200
    tables = tables_of(response)
    for table in tables:
        # an empty table shows one cell saying so; a download of it has no rows at all
        if table["rows"] == [["No rows for these parameters."]]:
            table["rows"] = []
    return tables


def as_spreadsheet_text(cell: str) -> str:
    """What a download must hold for a cell the page shows: dangerous starts neutralised."""
    return "'" + cell if cell.startswith(DANGEROUS) else cell


def scheme_default(**kwargs):
    return ClusterSchemeFactory(is_default=True, **kwargs)


def role_in(title: str, *clusters):
    role = RoleFactory(title=title)
    for cluster in clusters:
        RoleClusterFactory(role=role, cluster=cluster)
    return role


def link(role, qualification, key: bool = False):
    RoleQualificationFactory(role=role, qualification=qualification, is_key=key)


def module_judged(module, *numbers):
    for number in numbers:
        AttributeFactory(qualification=None, module=module, area=default_area(number))


# -- provision ----------------------------------------------------------------------------


@pytest.fixture
def provision_world():
    """Two clusters of the default scheme; Counsellor sits in both.

    Childminder (Early Years): A key (level 2), B (level 3)
    Counsellor (Early Years and Youth Work): B key, C (level 3)
    Youth worker (Youth Work): C key, D (Entry), F (not levelled)
    Family worker sits only in a cluster of another scheme: it never shows by default.
    """
    scheme = scheme_default(name="Workforce 2005", slug="workforce-2005")
    early = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    youth = ClusterFactory(scheme=scheme, name="Youth Work", slug="youth-work")
    family = ClusterFactory(scheme=ClusterSchemeFactory(name="By service", slug="by-service"),
                            name="Family support", slug="family-support")
    q = {name: QualificationFactory(ref=f"P/{name}", level=level)
         for name, level in [("A", 2), ("B", 3), ("C", 3), ("D", 0), ("F", None)]}
    childminder = role_in("Childminder", early)
    counsellor = role_in("Counsellor", early, youth)
    youth_worker = role_in("Youth worker", youth)
    family_worker = role_in("Family worker", family)
    link(childminder, q["A"], key=True)
    link(childminder, q["B"])
    link(counsellor, q["B"], key=True)
    link(counsellor, q["C"])
    link(youth_worker, q["C"], key=True)
    link(youth_worker, q["D"])
    link(youth_worker, q["F"])
    link(family_worker, q["A"], key=True)
    return q


PROVISION_HEADER = ["cluster", "role", "qualifications", "key_qualifications", "level_E",
                    "level_1", "level_2", "level_3", "level_4", "level_5", "level_6", "level_7",
                    "level_8", "not_levelled"]


def test_provision_counts_each_cluster_and_role_with_distinct_subtotals(client, provision_world):
    header, *rows = csv_rows(client, "provision")
    assert header == PROVISION_HEADER
    assert rows == [
        #  cluster        role          all key  E  1  2  3  4  5  6  7  8  none
        ["Early Years", "Childminder", "2", "1", "0", "0", "1", "1", "0", "0", "0", "0", "0", "0"],
        # Counsellor has a row in each of its clusters, both counting all it has (B, C)
        ["Early Years", "Counsellor", "2", "1", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0"],
        # subtotal: {A, B, C} = 3, not 2 + 2; key for some role of the cluster: A, B
        ["Early Years", "", "3", "2", "0", "0", "1", "2", "0", "0", "0", "0", "0", "0"],
        ["Youth Work", "Counsellor", "2", "1", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0"],
        ["Youth Work", "Youth worker", "3", "1", "1", "0", "0", "1", "0", "0", "0", "0", "0", "1"],
        # {B, C, D, F}; key: B (Counsellor) and C (Youth worker), C counted once
        ["Youth Work", "", "4", "2", "1", "0", "0", "2", "0", "0", "0", "0", "0", "1"],
        # {A, B, C, D, F}; key: A, B, C
        ["All clusters", "", "5", "3", "1", "0", "1", "2", "0", "0", "0", "0", "0", "1"],
    ]


def test_provision_filters_by_cluster_level_key_only_and_scheme(client, provision_world):
    # One cluster: its rows, and the grand total is that cluster's subtotal.
    _, *rows = csv_rows(client, "provision", cluster="youth-work")
    assert [r[:4] for r in rows] == [
        ["Youth Work", "Counsellor", "2", "1"], ["Youth Work", "Youth worker", "3", "1"],
        ["Youth Work", "", "4", "2"], ["All clusters", "", "4", "2"],
    ]
    # Level 3: only B and C count. Childminder has B; Counsellor has B (key) and C.
    _, *rows = csv_rows(client, "provision", level="3")
    assert [r[:4] + [r[7]] for r in rows] == [
        ["Early Years", "Childminder", "1", "0", "1"], ["Early Years", "Counsellor", "2", "1", "2"],
        ["Early Years", "", "2", "1", "2"],
        ["Youth Work", "Counsellor", "2", "1", "2"], ["Youth Work", "Youth worker", "1", "1", "1"],
        ["Youth Work", "", "2", "2", "2"],
        ["All clusters", "", "2", "2", "2"],
    ]
    # Key only: A, B, C (key for some role); B still counts for Childminder, for whom it is
    # not key, because it is key for Counsellor. D and F drop out.
    _, *rows = csv_rows(client, "provision", key_only="yes")
    assert [r[:4] for r in rows] == [
        ["Early Years", "Childminder", "2", "1"], ["Early Years", "Counsellor", "2", "1"],
        ["Early Years", "", "3", "2"],
        ["Youth Work", "Counsellor", "2", "1"], ["Youth Work", "Youth worker", "1", "1"],
        ["Youth Work", "", "2", "2"],
        ["All clusters", "", "3", "3"],
    ]
    # Another scheme, by name rather than slug.
    _, *rows = csv_rows(client, "provision", scheme="By service")
    assert [r[:4] for r in rows] == [
        ["Family support", "Family worker", "1", "1"], ["Family support", "", "1", "1"],
        ["All clusters", "", "1", "1"],
    ]


def test_provision_ignores_the_parameters_it_does_not_use(client, provision_world):
    other = FrameworkFactory(name="Other framework", slug="other-framework")
    AreaFactory(framework=other, number=1)
    plain = csv_rows(client, "provision")
    assert csv_rows(client, "provision", coverage="guaranteed", framework="other-framework",
                    rule="all", unknown="whatever") == plain
    assert csv_rows(client, "level-gaps", coverage="guaranteed", framework="other-framework",
                    rule="all") == csv_rows(client, "level-gaps")


# -- coverage, module-areas and role-gaps: one world ----------------------------------------


@pytest.fixture
def mapped_world():
    """Modules (level; areas judged) and qualifications (level, grid; modules):

    M1 (3; areas 1, 2)  M2 (3; area 4)  M3 (2; none)  M4 (3; area 1)  M5 (1; area 5)
    CC/1 Award in Childcare, level 3, approved: M1 mandatory, M2 optional; itself area 6
    CC/2 Certificate in Counselling, not levelled, accepted: M1 optional
    CC/3 Entry award, Entry, approved: M3 mandatory
    CC/4 Diploma in Youth Work, level 3, draft (not mapped): M4 mandatory
    CC/6 Social Work Degree, level 6, approved: M5 mandatory

    Roles in the default scheme: Childminder (Early Years) key CC/1 and CC/4; Counsellor
    (Early Years and Youth Work) key CC/2 and CC/3; Social worker (Youth Work) CC/6, not
    key; Youth worker (Youth Work) key CC/4. Family worker (another scheme) key CC/1.
    """
    m = {n: ModuleFactory(ref=f"M{n}", level=level)
         for n, level in [(1, 3), (2, 3), (3, 2), (4, 3), (5, 1)]}
    module_judged(m[1], 1, 2)
    module_judged(m[2], 4)
    module_judged(m[4], 1)
    module_judged(m[5], 5)
    q = {}
    for ref, title, level, grid, modules in [
        ("CC/1", "Award in Childcare", 3, "approved", [(1, True), (2, False)]),
        ("CC/2", "Certificate in Counselling", None, "accepted", [(1, False)]),
        ("CC/3", "Entry award", 0, "approved", [(3, True)]),
        ("CC/4", "Diploma in Youth Work", 3, "draft", [(4, True)]),
        ("CC/6", "Social Work Degree", 6, "approved", [(5, True)]),
    ]:
        q[ref] = QualificationFactory(ref=ref, title=title, level=level)
        MappingReviewFactory(qualification=q[ref], **({grid: True} if grid != "draft" else {}))
        for n, mandatory in modules:
            QualificationModuleFactory(qualification=q[ref], module=m[n], mandatory=mandatory)
    AttributeFactory(qualification=q["CC/1"], area=default_area(6))

    scheme = scheme_default(name="Workforce 2005", slug="workforce-2005")
    early = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    youth = ClusterFactory(scheme=scheme, name="Youth Work", slug="youth-work")
    family = ClusterFactory(scheme=ClusterSchemeFactory(name="By service", slug="by-service"),
                            name="Family support", slug="family-support")
    childminder = role_in("Childminder", early)
    counsellor = role_in("Counsellor", early, youth)
    social_worker = role_in("Social worker", youth)
    youth_worker = role_in("Youth worker", youth)
    family_worker = role_in("Family worker", family)
    link(childminder, q["CC/1"], key=True)
    link(childminder, q["CC/4"], key=True)
    link(counsellor, q["CC/2"], key=True)
    link(counsellor, q["CC/3"], key=True)
    link(social_worker, q["CC/6"])
    link(youth_worker, q["CC/4"], key=True)
    link(family_worker, q["CC/1"], key=True)
    return q, m


COVERAGE_HEADER = ["ref", "title", "level", "areas_covered",
                   "area_1", "area_2", "area_3", "area_4", "area_5", "area_6"]


def test_coverage_lists_mapped_qualifications_with_their_areas(client, mapped_world):
    header, *rows = csv_rows(client, "coverage")
    assert header == COVERAGE_HEADER
    assert rows == [
        # M1 (1, 2) + M2 (4) + its own judgement (6); CC/4 is not mapped, so absent
        ["CC/1", "Award in Childcare", "3", "4", "yes", "yes", "no", "yes", "no", "yes"],
        # M1 through an optional membership, not levelled
        ["CC/2", "Certificate in Counselling", "", "2", "yes", "yes", "no", "no", "no", "no"],
        # mapped, but its one module covers nothing: a row with 0
        ["CC/3", "Entry award", "E", "0", "no", "no", "no", "no", "no", "no"],
        ["CC/6", "Social Work Degree", "6", "1", "no", "no", "no", "no", "yes", "no"],
    ]


def test_guaranteed_coverage_counts_only_mandatory_modules_and_own_judgements(
        client, mapped_world):
    _, *rows = csv_rows(client, "coverage", coverage="guaranteed")
    assert [r[:4] for r in rows] == [
        ["CC/1", "Award in Childcare", "3", "3"],  # M1 (1, 2) and its own 6; M2 optional
        ["CC/2", "Certificate in Counselling", "", "0"],  # M1 is mandatory elsewhere only
        ["CC/3", "Entry award", "E", "0"],
        ["CC/6", "Social Work Degree", "6", "1"],
    ]
    assert rows[0][4:] == ["yes", "yes", "no", "no", "no", "yes"]


def test_coverage_distribution_and_filters(client, mapped_world):
    # 0 areas: CC/3; 1: CC/6; 2: CC/2; 4: CC/1 — of 4 mapped
    header, *rows = csv_rows(client, "coverage", table="distribution")
    assert header == ["areas_covered", "qualifications", "share"]
    assert rows == [["0", "1", "0.2500"], ["1", "1", "0.2500"], ["2", "1", "0.2500"],
                    ["3", "0", "0.0000"], ["4", "1", "0.2500"], ["5", "0", "0.0000"],
                    ["6", "0", "0.0000"]]
    # Early Years roles link CC/1, CC/4 (unmapped), CC/2, CC/3; not CC/6
    assert [r[0] for r in csv_rows(client, "coverage", cluster="Early Years")[1:]] == \
        ["CC/1", "CC/2", "CC/3"]
    # CC/6 is key for no role
    assert [r[0] for r in csv_rows(client, "coverage", key_only="yes")[1:]] == \
        ["CC/1", "CC/2", "CC/3"]
    assert [r[0] for r in csv_rows(client, "coverage", level="3")[1:]] == ["CC/1"]
    assert [r[0] for r in csv_rows(client, "coverage", level="E")[1:]] == ["CC/3"]


MODULE_AREAS_HEADER = ["area", "modules", "share"]


def test_module_areas_counts_distinct_modules_of_mapped_qualifications(client, mapped_world):
    header, *rows = csv_rows(client, "module-areas")
    assert header == MODULE_AREAS_HEADER
    # Modules of mapped qualifications: M1 (in two, counted once), M2, M3, M5 = 4.
    # M4 belongs only to the unmapped CC/4. CC/1's own area 6 is not a module's.
    assert rows == [
        ["1", "1", "0.2500"],  # M1
        ["2", "1", "0.2500"],  # M1
        ["3", "0", "0.0000"],
        ["4", "1", "0.2500"],  # M2
        ["5", "1", "0.2500"],  # M5
        ["6", "0", "0.0000"],
        ["none", "1", "0.2500"],  # M3
    ]


def test_module_areas_under_guaranteed_coverage_and_a_level(client, mapped_world):
    # Mandatory in some mapped qualification: M1, M3, M5 (M2 is only ever optional) = 3
    _, *rows = csv_rows(client, "module-areas", coverage="guaranteed")
    assert rows == [["1", "1", "0.3333"], ["2", "1", "0.3333"], ["3", "0", "0.0000"],
                    ["4", "0", "0.0000"], ["5", "1", "0.3333"], ["6", "0", "0.0000"],
                    ["none", "1", "0.3333"]]
    # Level 3: mapped qualifications at level 3 (CC/1), modules at level 3 (M1, M2) = 2
    _, *rows = csv_rows(client, "module-areas", level="3")
    assert rows == [["1", "1", "0.5000"], ["2", "1", "0.5000"], ["3", "0", "0.0000"],
                    ["4", "1", "0.5000"], ["5", "0", "0.0000"], ["6", "0", "0.0000"],
                    ["none", "0", "0.0000"]]


def test_module_areas_with_no_mapped_qualification_has_zero_shares(client, mapped_world):
    # Level 8: nothing at all; every row is 0 of 0, written 0.0000
    _, *rows = csv_rows(client, "module-areas", level="8")
    assert rows == [[str(n), "0", "0.0000"] for n in range(1, 7)] + [["none", "0", "0.0000"]]


ROLE_GAPS_HEADER = ["clusters", "role", "key_qualifications", "mapped_key_qualifications",
                    "missing_areas", "note"]
ALL_AREAS = "1;2;3;4;5;6"


def test_role_gaps_give_the_areas_no_mapped_key_qualification_covers(client, mapped_world):
    header, *rows = csv_rows(client, "role-gaps")
    assert header == ROLE_GAPS_HEADER
    assert rows == [
        # CC/1 covers 1, 2, 4, 6; CC/4 is key but not mapped
        ["Early Years", "Childminder", "2", "1", "3;5", ""],
        # CC/2 (1, 2) and CC/3 (nothing); one row, both clusters
        ["Early Years;Youth Work", "Counsellor", "2", "2", "3;4;5;6", ""],
        # CC/6 is linked but not key
        ["Youth Work", "Social worker", "0", "0", ALL_AREAS, "no key qualification"],
        ["Youth Work", "Youth worker", "1", "0", ALL_AREAS, "no key qualification mapped yet"],
    ]


def test_role_gaps_under_guaranteed_coverage_other_scheme_and_filters(client, mapped_world):
    _, *rows = csv_rows(client, "role-gaps", coverage="guaranteed")
    assert [r[1:5] for r in rows[:2]] == [
        ["Childminder", "2", "1", "3;4;5"],  # CC/1 guaranteed: 1, 2, 6
        ["Counsellor", "2", "2", ALL_AREAS],  # CC/2's M1 optional, CC/3 covers nothing
    ]
    assert rows[1][5] == ""  # it has mapped key qualifications; they just cover nothing
    assert csv_rows(client, "role-gaps", scheme="by-service")[1:] == [
        ["Family support", "Family worker", "1", "1", "3;5", ""],
    ]
    # One cluster: its roles only, each still listing all its clusters
    assert [r[:2] for r in csv_rows(client, "role-gaps", cluster="early-years")[1:]] == [
        ["Early Years", "Childminder"], ["Early Years;Youth Work", "Counsellor"],
    ]
    # Level 3: Childminder keeps CC/1 and CC/4; Counsellor's keys are not at level 3
    _, *rows = csv_rows(client, "role-gaps", level="3")
    assert rows == [
        ["Early Years", "Childminder", "2", "1", "3;5", ""],
        ["Early Years;Youth Work", "Counsellor", "0", "0", ALL_AREAS, "no key qualification"],
        ["Youth Work", "Social worker", "0", "0", ALL_AREAS, "no key qualification"],
        ["Youth Work", "Youth worker", "1", "0", ALL_AREAS, "no key qualification mapped yet"],
    ]


def test_role_gaps_empty_when_every_area_is_covered(client, mapped_world):
    q, _ = mapped_world
    # CC/1 judged on areas 3 and 5 too: with 1, 2, 4 and 6 it covers all six
    AttributeFactory(qualification=q["CC/1"], area=default_area(3))
    AttributeFactory(qualification=q["CC/1"], area=default_area(5))
    assert csv_rows(client, "role-gaps")[1] == ["Early Years", "Childminder", "2", "1", "", ""]


# -- level-gaps -----------------------------------------------------------------------------


LEVEL_GAPS_HEADER = ["cluster", "levels_with_qualifications", "missing_levels"]


@pytest.fixture
def levels_world():
    """Clusters and the levels of their roles' qualifications:

    Early Years: 1, 3, 6 and one not levelled (key)      Play Work: Entry, 2
    Youth Work: only not-levelled qualifications          Sport: 4 only
    Empty: a cluster with no roles
    """
    scheme = scheme_default(name="Workforce 2005", slug="workforce-2005")
    clusters = {name: ClusterFactory(scheme=scheme, name=name, slug=name.lower().replace(" ", "-"))
                for name in ["Early Years", "Empty", "Play Work", "Sport", "Youth Work"]}
    for cluster, levels in [("Early Years", [6, 1, 3, None]), ("Play Work", [2, 0]),
                            ("Youth Work", [None, None]), ("Sport", [4])]:
        role = role_in(f"{cluster} worker", clusters[cluster])
        for n, level in enumerate(levels):
            # the first qualification of each cluster is key, the others not
            link(role, QualificationFactory(level=level), key=n == 0)
    return clusters


def test_level_gaps_lists_levels_and_the_gaps_between(client, levels_world):
    header, *rows = csv_rows(client, "level-gaps")
    assert header == LEVEL_GAPS_HEADER
    assert rows == [
        ["Early Years", "1;3;6", "2;4;5"],
        ["Empty", "", ""],  # no qualification at all
        ["Play Work", "E;2", "1"],  # Entry comes before 1
        ["Sport", "4", ""],  # one level: nothing between
        ["Youth Work", "", ""],  # not-levelled qualifications are ignored
    ]


def test_level_gaps_follow_cluster_level_and_key_only(client, levels_world):
    assert csv_rows(client, "level-gaps", cluster="play-work")[1:] == [["Play Work", "E;2", "1"]]
    # Level 3: only Early Years' level-3 qualification remains
    assert csv_rows(client, "level-gaps", level="3")[1:] == [
        ["Early Years", "3", ""], ["Empty", "", ""], ["Play Work", "", ""], ["Sport", "", ""],
        ["Youth Work", "", ""],
    ]
    # Key only: the first of each list (6; 2; not levelled; 4)
    assert csv_rows(client, "level-gaps", key_only="yes")[1:] == [
        ["Early Years", "6", ""], ["Empty", "", ""], ["Play Work", "2", ""], ["Sport", "4", ""],
        ["Youth Work", "", ""],
    ]


def test_a_qualification_shared_by_two_clusters_counts_in_both(client, levels_world):
    # a role in Sport and Play Work with a level-8 qualification: both gain 8 and new gaps
    role = role_in("Coach", levels_world["Sport"], levels_world["Play Work"])
    link(role, QualificationFactory(level=8))
    rows = {r[0]: r[1:] for r in csv_rows(client, "level-gaps")[1:]}
    assert rows["Sport"] == ["4;8", "5;6;7"]
    assert rows["Play Work"] == ["E;2;8", "1;3;4;5;6;7"]


# -- the page shows what the downloads hold -----------------------------------------------------


@pytest.fixture
def one_world():
    """A little of everything in one default scheme: roles in two clusters, mapped and
    unmapped qualifications at several levels, and a formula-looking title."""
    scheme = scheme_default(name="Workforce 2005", slug="workforce-2005")
    early = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    youth = ClusterFactory(scheme=scheme, name="Youth Work", slug="youth-work")
    ClusterFactory(scheme=scheme, name="Empty", slug="empty")
    modules = [ModuleFactory(level=level) for level in (1, 2, 3, 3)]
    module_judged(modules[0], 1, 2)
    module_judged(modules[1], 3)
    module_judged(modules[3], 6)
    roles = [role_in("Childminder", early), role_in("Counsellor", early, youth),
             role_in("Youth worker", youth), role_in("Lonely worker", youth)]
    for n, (level, grid) in enumerate([(1, "approved"), (3, "accepted"), (3, None), (5, "approved"),
                                       (None, "approved"), (0, None)]):
        qualification = QualificationFactory(ref=f"W/{n}", level=level,
                                             title="=HYPERLINK(\"http://x.example\")" if n == 4
                                             else f"Award {n}")
        if grid:
            MappingReviewFactory(qualification=qualification, **{grid: True})
        for k, module in enumerate(modules):
            if (n + k) % 3 == 0:
                QualificationModuleFactory(qualification=qualification, module=module,
                                           mandatory=k % 2 == 0)
        link(roles[n % 3], qualification, key=n % 2 == 0)
    return roles


PARAMETER_SETS = [
    {},
    {"coverage": "guaranteed"},
    {"cluster": "youth-work"},
    {"level": "3"},
    {"key_only": "yes"},
    {"cluster": "early-years", "key_only": "yes", "coverage": "guaranteed"},
    {"level": "", "cluster": "", "scheme": "", "framework": "", "key_only": "no",
     "coverage": "possible", "rule": "any"},  # what the page's own form sends
]


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_each_table_on_the_page_is_its_csv_and_xlsx(client, one_world, name):
    for query in PARAMETER_SETS:
        tables = page_tables(client, name, **query)
        assert tables, name
        if not query:
            assert tables[0]["rows"], name  # the comparison below is not of empty tables
        for n, table in enumerate(tables):
            slug = None if n == 0 else _table_slug(client, name, table["caption"], query)
            header, *rows = csv_rows(client, name, slug, **query)
            assert len(header) == len(table["head"]), (name, query)
            assert rows == [[as_spreadsheet_text(cell) for cell in row] for row in table["rows"]], \
                (name, query, table["caption"])
            assert xlsx_rows(client, name, slug, **query) == [header, *rows], (name, query)


def _table_slug(client, name: str, caption: str, query: dict) -> str:
    """The slug of a summary table, read from the page's download link for it."""
    html = client.get(f"/reports/{name}/", query).content.decode()
    found = re.search(rf'href="/reports/{re.escape(name)}/([\w-]+)\.csv[^"]*">[^<]*'
                      rf'<span class="govuk-visually-hidden"> of {re.escape(caption)}<', html)
    assert found, caption
    return found.group(1)


# -- formula neutralisation --------------------------------------------------------------------


FORMULA = '=HYPERLINK("http://evil.example","Click")'


def test_a_formula_title_is_neutralised_in_csv_and_is_text_in_xlsx(client):
    scheme_default()
    qualification = QualificationFactory(ref="F/1", title=FORMULA, level=2)
    MappingReviewFactory(qualification=qualification, approved=True)
    AttributeFactory(qualification=qualification, area=default_area(1))

    _, row = csv_rows(client, "coverage")
    assert row[:4] == ["F/1", "'" + FORMULA, "2", "1"]

    sheet = xlsx_sheet(client, "coverage")
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"  # a string, never a formula
    assert cell.value == "'" + FORMULA
    assert sheet.cell(row=2, column=4).value == 1  # numbers stay numbers

    # the page shows the title as it is, as text in a table cell
    table = page_tables(client, "coverage")[0]
    assert table["rows"][0][:2] == ["F/1", FORMULA]


def test_cluster_and_role_names_are_neutralised_in_every_report(client):
    scheme = scheme_default()
    cluster = ClusterFactory(scheme=scheme, name="+Plus cluster", slug="plus")
    role = role_in("@Risk worker", cluster)
    qualification = QualificationFactory(level=3)
    link(role, qualification, key=True)
    assert csv_rows(client, "provision")[1][:2] == ["'+Plus cluster", "'@Risk worker"]
    assert csv_rows(client, "role-gaps")[1][:2] == ["'+Plus cluster", "'@Risk worker"]
    assert csv_rows(client, "level-gaps")[1] == ["'+Plus cluster", "3", ""]
    sheet = xlsx_sheet(client, "role-gaps")
    assert sheet.cell(row=2, column=2).value == "'@Risk worker"
    assert sheet.cell(row=2, column=2).data_type == "s"


# -- bad parameters ------------------------------------------------------------------------------


BAD = [
    ("scheme", "nowhere"), ("cluster", "no-such-cluster"), ("framework", "astrology"),
    ("level", "9"), ("key_only", "maybe"), ("coverage", "sometimes"), ("rule", "most"),
]


@pytest.mark.parametrize(("parameter", "value"), BAD)
def test_a_bad_parameter_is_a_400_naming_it_on_page_csv_and_xlsx(client, one_world, parameter,
                                                                    value):
    for name in REPORT_NAMES:
        page = client.get(f"/reports/{name}/", {parameter: value})
        assert page.status_code == 400, (name, parameter)
        text = page_text(page)
        assert "These report parameters cannot be used" in text
        assert value in text, (name, text)
        for fmt in ("csv", "xlsx"):
            response = download(client, name, fmt, **{parameter: value})
            assert response.status_code == 400, (name, fmt, parameter)
            assert response["Content-Type"].startswith("text/plain")
            assert value in response.content.decode(), (name, fmt)


def test_a_cluster_of_another_scheme_is_a_400(client, provision_world):
    # Family support is a cluster of "By service", not of the default scheme
    response = download(client, "provision", "csv", cluster="family-support")
    assert response.status_code == 400
    assert "family-support" in response.content.decode()
    assert download(client, "provision", "csv", scheme="by-service",
                    cluster="family-support").status_code == 200


def test_names_are_accepted_as_well_as_slugs_ignoring_case(client, provision_world):
    by_slug = csv_rows(client, "provision", scheme="workforce-2005", cluster="youth-work")
    assert csv_rows(client, "provision", scheme="WORKFORCE 2005", cluster="youth work") == by_slug
    assert len(by_slug) == 5


def test_an_unknown_report_is_a_404(client):
    assert client.get("/reports/nothing/").status_code == 404
    assert client.get("/reports/nothing.csv").status_code == 404
    assert client.get("/reports/coverage/nothing.csv").status_code == 404


# -- bounded queries ---------------------------------------------------------------------------


def grow(start: int, n: int) -> None:
    """n more clusters of the default scheme, each with a role (every fourth also in the
    previous cluster) linked to a mapped qualification with two judged modules (key for
    every other role) and to an unmapped one."""
    from roles.models import ClusterScheme

    scheme = ClusterScheme.objects.filter(is_default=True).first() or scheme_default()
    previous = None
    for i in range(start, start + n):
        cluster = ClusterFactory(scheme=scheme, name=f"Cluster {i:03d}", slug=f"cluster-{i:03d}")
        role = role_in(f"Worker {i:03d}", cluster, *([previous] if previous and i % 4 == 0 else []))
        previous = cluster
        qualification = QualificationFactory(level=i % 9)
        MappingReviewFactory(qualification=qualification, approved=True)
        AttributeFactory(qualification=qualification, area=default_area(1 + i % 6))
        for k in range(2):
            module = ModuleFactory(level=(i + k) % 9)
            QualificationModuleFactory(qualification=qualification, module=module,
                                       mandatory=k == 0)
            module_judged(module, 1 + (i + k) % 6)
        link(role, qualification, key=i % 2 == 0)
        link(role, QualificationFactory(level=(i + 3) % 9))


def count_queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
        assert response.status_code == 200, url
        body(response)  # a streamed CSV runs its queries as it is read
    return len(captured)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_report_queries_do_not_grow_with_the_data(client, name):
    # Each report: a few queries for the parameters (scheme, cluster, framework, areas),
    # a few for its rows (counts per role and cluster, mapped ids, judgements of
    # qualifications and modules), one for "as at" on the page; none per row.
    urls = [f"/reports/{name}/", f"/reports/{name}.csv", f"/reports/{name}.xlsx"]
    # (level 2 has a key qualification in the small world too: an empty set of
    # qualifications would skip queries, which is not what this test is about)
    queries = [{}, {"coverage": "guaranteed", "level": "2", "key_only": "yes"},
               {"cluster": "cluster-004"}]
    grow(0, 5)
    small = {(url, i): count_queries(client, url, q) for url in urls for i, q in enumerate(queries)}
    grow(5, 20)  # 25 in all
    large = {(url, i): count_queries(client, url, q) for url in urls for i, q in enumerate(queries)}
    assert large == small
    assert max(small.values()) <= 20


# -- as at -------------------------------------------------------------------------------------


def test_the_page_says_as_at_the_latest_publication_it_includes(client):
    scheme_default()
    other = FrameworkFactory(name="Other framework", slug="other-framework")
    AreaFactory(framework=other, number=1)
    # no approval yet
    assert "as at no approval yet" in page_text(client.get("/reports/coverage/"))
    MappingReviewFactory(approved=True, published_at=datetime(2024, 1, 10, 9, 0, tzinfo=UTC))
    MappingReviewFactory(accepted=True, published_at=datetime(2024, 3, 5, 14, 7, tzinfo=UTC))
    MappingReviewFactory(submitted=True)  # not published
    MappingReviewFactory(returned=True)
    # later, but for another framework
    MappingReviewFactory(framework=other, approved=True,
                         published_at=datetime(2024, 6, 1, 12, 30, tzinfo=UTC))
    for name in REPORT_NAMES:
        # Europe/London is on GMT in early March
        assert "as at 5 March 2024, 14:07 (the latest approval included)" in \
            page_text(client.get(f"/reports/{name}/")), name
    # British Summer Time in June: 12:30 UTC is 13:30
    assert "as at 1 June 2024, 13:30" in \
        page_text(client.get("/reports/coverage/", {"framework": "other-framework"}))


# -- a framework with elements and the rule parameter -------------------------------------------


@pytest.fixture
def elements_world():
    """A framework with areas 1 Listening (4 elements), 2 Play (2 elements), 3 Safety (none).

    R/1, mapped in it: M1 mandatory judged on 1a, 1b; M2 optional judged on 1c and 2a;
         itself judged on area 3 as a whole
    R/2, mapped in it: M3 mandatory judged on 1d, 2a and 2b
    R/3, mapped in the Common Core only, M1 mandatory
    """
    framework = FrameworkFactory(name="Skills framework", slug="skills-framework")
    listening = AreaFactory(framework=framework, number=1, short_title="Listening")
    play = AreaFactory(framework=framework, number=2, short_title="Play")
    safety = AreaFactory(framework=framework, number=3, short_title="Safety")
    e1 = [ElementFactory(area=listening) for _ in range(4)]
    e2 = [ElementFactory(area=play) for _ in range(2)]
    m1, m2, m3 = ModuleFactory(ref="M1"), ModuleFactory(ref="M2"), ModuleFactory(ref="M3")

    def judge(module, area, element):
        AttributeFactory(qualification=None, module=module, area=area, element=element)

    judge(m1, listening, e1[0])
    judge(m1, listening, e1[1])
    judge(m2, listening, e1[2])
    judge(m2, play, e2[0])
    judge(m3, listening, e1[3])
    judge(m3, play, e2[0])
    judge(m3, play, e2[1])
    r1 = QualificationFactory(ref="R/1", title="First", level=2)
    r2 = QualificationFactory(ref="R/2", title="Second", level=3)
    r3 = QualificationFactory(ref="R/3", title="Third", level=3)
    QualificationModuleFactory(qualification=r1, module=m1, mandatory=True)
    QualificationModuleFactory(qualification=r1, module=m2, mandatory=False)
    QualificationModuleFactory(qualification=r2, module=m3, mandatory=True)
    QualificationModuleFactory(qualification=r3, module=m1, mandatory=True)
    AttributeFactory(qualification=r1, area=safety, element=None)
    MappingReviewFactory(qualification=r1, framework=framework, approved=True)
    MappingReviewFactory(qualification=r2, framework=framework, accepted=True)
    MappingReviewFactory(qualification=r3, approved=True)
    scheme_default()


@pytest.mark.parametrize(("rule", "expected"), [
    # R/1 pools 1a, 1b, 1c (3 of 4) and 2a (1 of 2); R/2 has 1d (1 of 4) and 2a, 2b (2 of 2)
    ("any", [["R/1", "First", "2", "3", "yes", "yes", "yes"],
             ["R/2", "Second", "3", "2", "yes", "yes", "no"]]),
    ("half", [["R/1", "First", "2", "3", "yes", "yes", "yes"],  # 3 ≥ 2 and 1 ≥ 1
              ["R/2", "Second", "3", "1", "no", "yes", "no"]]),  # 1 < 2
    ("all", [["R/1", "First", "2", "1", "no", "no", "yes"],  # area 3 judged whole
             ["R/2", "Second", "3", "1", "no", "yes", "no"]]),
])
def test_the_rule_decides_when_elements_add_up_to_an_area(client, elements_world, rule, expected):
    header, *rows = csv_rows(client, "coverage", framework="skills-framework", rule=rule)
    assert header == ["ref", "title", "level", "areas_covered", "area_1", "area_2", "area_3"]
    assert rows == expected


@pytest.mark.parametrize(("rule", "expected"), [
    # Guaranteed: R/1 keeps M1 (1a, 1b) and its own area 3, loses M2; R/2 keeps M3
    ("any", [["R/1", "First", "2", "2", "yes", "no", "yes"],
             ["R/2", "Second", "3", "2", "yes", "yes", "no"]]),
    ("half", [["R/1", "First", "2", "2", "yes", "no", "yes"],  # 2 of 4 is half
              ["R/2", "Second", "3", "1", "no", "yes", "no"]]),
    ("all", [["R/1", "First", "2", "1", "no", "no", "yes"],
             ["R/2", "Second", "3", "1", "no", "yes", "no"]]),
])
def test_the_rule_under_guaranteed_coverage(client, elements_world, rule, expected):
    assert csv_rows(client, "coverage", framework="Skills framework", rule=rule,
                    coverage="guaranteed")[1:] == expected


@pytest.mark.parametrize(("rule", "expected"), [
    # modules of mapped qualifications: M1 (1a, 1b), M2 (1c; 2a), M3 (1d; 2a, 2b)
    ("any", [["1", "3", "1.0000"], ["2", "2", "0.6667"], ["3", "0", "0.0000"],
             ["none", "0", "0.0000"]]),
    ("half", [["1", "1", "0.3333"], ["2", "2", "0.6667"], ["3", "0", "0.0000"],
              ["none", "0", "0.0000"]]),
    ("all", [["1", "0", "0.0000"], ["2", "1", "0.3333"], ["3", "0", "0.0000"],
             ["none", "2", "0.6667"]]),
])
def test_the_rule_in_module_areas(client, elements_world, rule, expected):
    assert csv_rows(client, "module-areas", framework="skills-framework", rule=rule)[1:] == expected


def test_the_rule_changes_nothing_for_a_framework_without_elements(client, elements_world):
    # In the Common Core only R/3 is mapped; its M1 judgements belong to the other framework
    rows = csv_rows(client, "coverage")
    assert rows[1] == ["R/3", "Third", "3", "0", "no", "no", "no", "no", "no", "no"]
    assert csv_rows(client, "coverage", rule="all") == rows
    assert csv_rows(client, "coverage", rule="half") == rows


@pytest.mark.parametrize("parameter", ["scheme", "cluster", "framework", "level", "coverage"])
def test_a_nul_character_in_a_parameter_is_a_400_not_a_500(client, provision_world, parameter):
    for name in REPORT_NAMES:
        for url in (f"/reports/{name}/", f"/reports/{name}.csv", f"/reports/{name}.xlsx"):
            assert client.get(url, {parameter: "early\x00years"}).status_code == 400, (url, parameter)


def test_empty_parameters_mean_the_defaults(client, provision_world):
    empty = {p: "" for p in ("scheme", "cluster", "framework", "level", "key_only", "coverage",
                             "rule")}
    for name in REPORT_NAMES:
        assert csv_rows(client, name, **empty) == csv_rows(client, name), name
