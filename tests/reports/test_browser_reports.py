"""An analyst filters a report in Chromium and downloads exactly what the page shows."""

import csv

import pytest

from tests.conftest import axe_violations
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(migrated_transactional_db):
    scheme = ClusterSchemeFactory(name="Workforce 2005", slug="workforce-2005", is_default=True)
    cluster = ClusterFactory(scheme=scheme, name="Play Work", slug="play-work")
    role = RoleFactory(title="Playworker", slug="playworker")
    RoleClusterFactory(role=role, cluster=cluster)
    for n, level in enumerate([2, 3, 3, 3]):
        qualification = QualificationFactory(ref=f"PW/{n}", title=f"Playwork award {n}", level=level)
        module = ModuleFactory()
        QualificationModuleFactory(qualification=qualification, module=module)
        for number in range(1, n + 2):
            AttributeFactory(qualification=None, module=module, area=default_area(number))
        MappingReviewFactory(qualification=qualification, approved=True)
        RoleQualificationFactory(role=role, qualification=qualification, is_key=n % 2 == 0)


def page_rows(page) -> list[list[str]]:
    table = page.locator("table.govuk-table").nth(0)
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def test_analyst_filters_the_coverage_report_and_downloads_what_is_shown(new_page, world, tmp_path):
    page = new_page()
    page.goto("/reports/")
    page.get_by_role("link", name="Coverage of each mapped qualification").click()
    page.get_by_text("Change the parameters").click()
    page.get_by_label("Level", exact=True).select_option("3")
    page.get_by_role("button", name="Show the report").click()
    assert "level=3" in page.url
    shown = page_rows(page)
    assert [row[0] for row in shown] == ["PW/1", "PW/2", "PW/3"]

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of Mapped qualifications and the areas they cover").click()
    path = tmp_path / "coverage.csv"
    download.value.save_as(path)
    with open(path, encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:4] == ["ref", "title", "level", "areas_covered"]
    assert rows == shown
    assert [row[3] for row in rows] == ["2", "3", "4"]  # modules judged on n + 1 areas


def test_report_pages_have_no_accessibility_violations(new_page, world):
    page = new_page()
    found = {}
    for url in [
        "/reports/",
        "/reports/provision/",
        "/reports/coverage/",
        "/reports/module-areas/",
        "/reports/role-gaps/",
        "/reports/level-gaps/",
        "/reports/coverage/?level=9",
    ]:
        page.goto(url)
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    assert found == {}
