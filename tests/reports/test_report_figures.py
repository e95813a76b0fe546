"""The five reports DESIGN.md §5 pins down, on factory data small enough to work by hand.

Every expected row below is written out literally and explained in a comment; none is
read back from the code under test. The downloads are parsed as a user would open them,
and the page's tables are parsed from its HTML. The property tests against a plain-Python
oracle are in ``test_reports_property.py``.
"""

from datetime import UTC, datetime

import pytest

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
    QualificationModuleFactory,
    default_area,
)
from tests.support.pages import page_text
from tests.support.reports import (
    REPORT_NAMES,
    csv_rows,
    link,
    module_judged,
    role_in,
    scheme_default,
)

pytestmark = pytest.mark.django_db

#: a spreadsheet runs or reinterprets a cell starting with one of these


# -- provision ----------------------------------------------------------------------------


PROVISION_HEADER = [
    "cluster",
    "role",
    "qualifications",
    "key_qualifications",
    "level_E",
    "level_1",
    "level_2",
    "level_3",
    "level_4",
    "level_5",
    "level_6",
    "level_7",
    "level_8",
    "not_levelled",
]


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
        ["Youth Work", "Counsellor", "2", "1"],
        ["Youth Work", "Youth worker", "3", "1"],
        ["Youth Work", "", "4", "2"],
        ["All clusters", "", "4", "2"],
    ]
    # Level 3: only B and C count. Childminder has B; Counsellor has B (key) and C.
    _, *rows = csv_rows(client, "provision", level="3")
    assert [r[:4] + [r[7]] for r in rows] == [
        ["Early Years", "Childminder", "1", "0", "1"],
        ["Early Years", "Counsellor", "2", "1", "2"],
        ["Early Years", "", "2", "1", "2"],
        ["Youth Work", "Counsellor", "2", "1", "2"],
        ["Youth Work", "Youth worker", "1", "1", "1"],
        ["Youth Work", "", "2", "2", "2"],
        ["All clusters", "", "2", "2", "2"],
    ]
    # Key only: A, B, C (key for some role); B still counts for Childminder, for whom it is
    # not key, because it is key for Counsellor. D and F drop out.
    _, *rows = csv_rows(client, "provision", key_only="yes")
    assert [r[:4] for r in rows] == [
        ["Early Years", "Childminder", "2", "1"],
        ["Early Years", "Counsellor", "2", "1"],
        ["Early Years", "", "3", "2"],
        ["Youth Work", "Counsellor", "2", "1"],
        ["Youth Work", "Youth worker", "1", "1"],
        ["Youth Work", "", "2", "2"],
        ["All clusters", "", "3", "3"],
    ]
    # Another scheme, by name rather than slug.
    _, *rows = csv_rows(client, "provision", scheme="By service")
    assert [r[:4] for r in rows] == [
        ["Family support", "Family worker", "1", "1"],
        ["Family support", "", "1", "1"],
        ["All clusters", "", "1", "1"],
    ]


def test_provision_ignores_the_parameters_it_does_not_use(client, provision_world):
    other = FrameworkFactory(name="Other framework", slug="other-framework")
    AreaFactory(framework=other, number=1)
    plain = csv_rows(client, "provision")
    assert (
        csv_rows(
            client,
            "provision",
            coverage="guaranteed",
            framework="other-framework",
            rule="all",
            unknown="whatever",
        )
        == plain
    )
    assert csv_rows(
        client, "level-gaps", coverage="guaranteed", framework="other-framework", rule="all"
    ) == csv_rows(client, "level-gaps")


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
    m = {n: ModuleFactory(ref=f"M{n}", level=level) for n, level in [(1, 3), (2, 3), (3, 2), (4, 3), (5, 1)]}
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
    family = ClusterFactory(
        scheme=ClusterSchemeFactory(name="By service", slug="by-service"),
        name="Family support",
        slug="family-support",
    )
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


COVERAGE_HEADER = [
    "ref",
    "title",
    "level",
    "areas_covered",
    "area_1",
    "area_2",
    "area_3",
    "area_4",
    "area_5",
    "area_6",
]


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


def test_guaranteed_coverage_counts_only_mandatory_modules_and_own_judgements(client, mapped_world):
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
    assert rows == [
        ["0", "1", "0.2500"],
        ["1", "1", "0.2500"],
        ["2", "1", "0.2500"],
        ["3", "0", "0.0000"],
        ["4", "1", "0.2500"],
        ["5", "0", "0.0000"],
        ["6", "0", "0.0000"],
    ]
    # Early Years roles link CC/1, CC/4 (unmapped), CC/2, CC/3; not CC/6
    assert [r[0] for r in csv_rows(client, "coverage", cluster="Early Years")[1:]] == ["CC/1", "CC/2", "CC/3"]
    # CC/6 is key for no role
    assert [r[0] for r in csv_rows(client, "coverage", key_only="yes")[1:]] == ["CC/1", "CC/2", "CC/3"]
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
    assert rows == [
        ["1", "1", "0.3333"],
        ["2", "1", "0.3333"],
        ["3", "0", "0.0000"],
        ["4", "0", "0.0000"],
        ["5", "1", "0.3333"],
        ["6", "0", "0.0000"],
        ["none", "1", "0.3333"],
    ]
    # Level 3: mapped qualifications at level 3 (CC/1), modules at level 3 (M1, M2) = 2
    _, *rows = csv_rows(client, "module-areas", level="3")
    assert rows == [
        ["1", "1", "0.5000"],
        ["2", "1", "0.5000"],
        ["3", "0", "0.0000"],
        ["4", "1", "0.5000"],
        ["5", "0", "0.0000"],
        ["6", "0", "0.0000"],
        ["none", "0", "0.0000"],
    ]


def test_module_areas_with_no_mapped_qualification_has_zero_shares(client, mapped_world):
    # Level 8: nothing at all; every row is 0 of 0, written 0.0000
    _, *rows = csv_rows(client, "module-areas", level="8")
    assert rows == [[str(n), "0", "0.0000"] for n in range(1, 7)] + [["none", "0", "0.0000"]]


ROLE_GAPS_HEADER = [
    "clusters",
    "role",
    "key_qualifications",
    "mapped_key_qualifications",
    "missing_areas",
    "note",
]
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
        ["Early Years", "Childminder"],
        ["Early Years;Youth Work", "Counsellor"],
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
    clusters = {
        name: ClusterFactory(scheme=scheme, name=name, slug=name.lower().replace(" ", "-"))
        for name in ["Early Years", "Empty", "Play Work", "Sport", "Youth Work"]
    }
    for cluster, levels in [
        ("Early Years", [6, 1, 3, None]),
        ("Play Work", [2, 0]),
        ("Youth Work", [None, None]),
        ("Sport", [4]),
    ]:
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
        ["Early Years", "3", ""],
        ["Empty", "", ""],
        ["Play Work", "", ""],
        ["Sport", "", ""],
        ["Youth Work", "", ""],
    ]
    # Key only: the first of each list (6; 2; not levelled; 4)
    assert csv_rows(client, "level-gaps", key_only="yes")[1:] == [
        ["Early Years", "6", ""],
        ["Empty", "", ""],
        ["Play Work", "2", ""],
        ["Sport", "4", ""],
        ["Youth Work", "", ""],
    ]


def test_a_qualification_shared_by_two_clusters_counts_in_both(client, levels_world):
    # a role in Sport and Play Work with a level-8 qualification: both gain 8 and new gaps
    role = role_in("Coach", levels_world["Sport"], levels_world["Play Work"])
    link(role, QualificationFactory(level=8))
    rows = {r[0]: r[1:] for r in csv_rows(client, "level-gaps")[1:]}
    assert rows["Sport"] == ["4;8", "5;6;7"]
    assert rows["Play Work"] == ["E;2;8", "1;3;4;5;6;7"]


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
    MappingReviewFactory(
        framework=other, approved=True, published_at=datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
    )
    for name in REPORT_NAMES:
        # Europe/London is on GMT in early March
        assert "as at 5 March 2024, 14:07 (the latest approval included)" in page_text(
            client.get(f"/reports/{name}/")
        ), name
    # British Summer Time in June: 12:30 UTC is 13:30
    assert "as at 1 June 2024, 13:30" in page_text(
        client.get("/reports/coverage/", {"framework": "other-framework"})
    )


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


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # R/1 pools 1a, 1b, 1c (3 of 4) and 2a (1 of 2); R/2 has 1d (1 of 4) and 2a, 2b (2 of 2)
        (
            "any",
            [
                ["R/1", "First", "2", "3", "yes", "yes", "yes"],
                ["R/2", "Second", "3", "2", "yes", "yes", "no"],
            ],
        ),
        (
            "half",
            [
                ["R/1", "First", "2", "3", "yes", "yes", "yes"],  # 3 ≥ 2 and 1 ≥ 1
                ["R/2", "Second", "3", "1", "no", "yes", "no"],
            ],
        ),  # 1 < 2
        (
            "all",
            [
                ["R/1", "First", "2", "1", "no", "no", "yes"],  # area 3 judged whole
                ["R/2", "Second", "3", "1", "no", "yes", "no"],
            ],
        ),
    ],
)
def test_the_rule_decides_when_elements_add_up_to_an_area(client, elements_world, rule, expected):
    header, *rows = csv_rows(client, "coverage", framework="skills-framework", rule=rule)
    assert header == ["ref", "title", "level", "areas_covered", "area_1", "area_2", "area_3"]
    assert rows == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # Guaranteed: R/1 keeps M1 (1a, 1b) and its own area 3, loses M2; R/2 keeps M3
        (
            "any",
            [["R/1", "First", "2", "2", "yes", "no", "yes"], ["R/2", "Second", "3", "2", "yes", "yes", "no"]],
        ),
        (
            "half",
            [
                ["R/1", "First", "2", "2", "yes", "no", "yes"],  # 2 of 4 is half
                ["R/2", "Second", "3", "1", "no", "yes", "no"],
            ],
        ),
        (
            "all",
            [["R/1", "First", "2", "1", "no", "no", "yes"], ["R/2", "Second", "3", "1", "no", "yes", "no"]],
        ),
    ],
)
def test_the_rule_under_guaranteed_coverage(client, elements_world, rule, expected):
    assert (
        csv_rows(client, "coverage", framework="Skills framework", rule=rule, coverage="guaranteed")[1:]
        == expected
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # modules of mapped qualifications: M1 (1a, 1b), M2 (1c; 2a), M3 (1d; 2a, 2b)
        ("any", [["1", "3", "1.0000"], ["2", "2", "0.6667"], ["3", "0", "0.0000"], ["none", "0", "0.0000"]]),
        ("half", [["1", "1", "0.3333"], ["2", "2", "0.6667"], ["3", "0", "0.0000"], ["none", "0", "0.0000"]]),
        ("all", [["1", "0", "0.0000"], ["2", "1", "0.3333"], ["3", "0", "0.0000"], ["none", "2", "0.6667"]]),
    ],
)
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
    empty = {p: "" for p in ("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule")}
    for name in REPORT_NAMES:
        assert csv_rows(client, name, **empty) == csv_rows(client, name), name
