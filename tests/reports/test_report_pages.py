"""The five reports DESIGN.md §5 pins down, on factory data small enough to work by hand.

Every expected row below is written out literally and explained in a comment; none is
read back from the code under test. The downloads are parsed as a user would open them,
and the page's tables are parsed from its HTML. The property tests against a plain-Python
oracle are in ``test_reports_property.py``.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import (
    AttributeFactory,
    ClusterFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    default_area,
)
from tests.support.pages import page_text
from tests.support.reports import (
    REPORT_NAMES,
    as_spreadsheet_text,
    body,
    csv_rows,
    download,
    link,
    module_judged,
    page_tables,
    role_in,
    scheme_default,
    xlsx_rows,
    xlsx_sheet,
)

pytestmark = pytest.mark.django_db

#: a spreadsheet runs or reinterprets a cell starting with one of these


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
    roles = [
        role_in("Childminder", early),
        role_in("Counsellor", early, youth),
        role_in("Youth worker", youth),
        role_in("Lonely worker", youth),
    ]
    for n, (level, grid) in enumerate(
        [(1, "approved"), (3, "accepted"), (3, None), (5, "approved"), (None, "approved"), (0, None)]
    ):
        qualification = QualificationFactory(
            ref=f"W/{n}", level=level, title='=HYPERLINK("http://x.example")' if n == 4 else f"Award {n}"
        )
        if grid:
            MappingReviewFactory(qualification=qualification, **{grid: True})
        for k, module in enumerate(modules):
            if (n + k) % 3 == 0:
                QualificationModuleFactory(qualification=qualification, module=module, mandatory=k % 2 == 0)
        link(roles[n % 3], qualification, key=n % 2 == 0)
    return roles


PARAMETER_SETS = [
    {},
    {"coverage": "guaranteed"},
    {"cluster": "youth-work"},
    {"level": "3"},
    {"key_only": "yes"},
    {"cluster": "early-years", "key_only": "yes", "coverage": "guaranteed"},
    {
        "level": "",
        "cluster": "",
        "scheme": "",
        "framework": "",
        "key_only": "no",
        "coverage": "possible",
        "rule": "any",
    },  # what the page's own form sends
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
            assert rows == [[as_spreadsheet_text(cell) for cell in row] for row in table["rows"]], (
                name,
                query,
                table["caption"],
            )
            assert xlsx_rows(client, name, slug, **query) == [header, *rows], (name, query)


def _table_slug(client, name: str, caption: str, query: dict) -> str:
    """The slug of a summary table, read from the page's download link for it."""
    html = client.get(f"/reports/{name}/", query).content.decode()
    found = re.search(
        rf'href="/reports/{re.escape(name)}/([\w-]+)\.csv[^"]*">[^<]*'
        rf'<span class="govuk-visually-hidden"> of {re.escape(caption)}<',
        html,
    )
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
    ("scheme", "nowhere"),
    ("cluster", "no-such-cluster"),
    ("framework", "astrology"),
    ("level", "9"),
    ("key_only", "maybe"),
    ("coverage", "sometimes"),
    ("rule", "most"),
]


@pytest.mark.parametrize(("parameter", "value"), BAD)
def test_a_bad_parameter_is_a_400_naming_it_on_page_csv_and_xlsx(client, one_world, parameter, value):
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
    assert (
        download(client, "provision", "csv", scheme="by-service", cluster="family-support").status_code == 200
    )


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
            QualificationModuleFactory(qualification=qualification, module=module, mandatory=k == 0)
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
    queries = [{}, {"coverage": "guaranteed", "level": "2", "key_only": "yes"}, {"cluster": "cluster-004"}]
    grow(0, 5)
    small = {(url, i): count_queries(client, url, q) for url in urls for i, q in enumerate(queries)}
    grow(5, 20)  # 25 in all
    large = {(url, i): count_queries(client, url, q) for url in urls for i, q in enumerate(queries)}
    assert large == small
    assert max(small.values()) <= 20
