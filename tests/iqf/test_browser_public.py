"""What a manager does on the public site, in Debian's Chromium against a live server:
browse home → cluster → role → qualification → module, find qualifications with two
facets across pages, plan a role move; every page type passes axe and works unstyled by
JavaScript."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import caches

from qualifications.models import QualificationType, Region
from tests.conftest import axe_violations
from tests.support.factories import (
    AttributeFactory,
    BundleImportFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
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
    """Two roles of one cluster, each with a mapped key qualification, shared modules,
    providers; and 25 more level 3 VRQs so that the finder has pages."""
    BundleImportFactory(demonstration=True)
    scheme = ClusterSchemeFactory(name="Workforce 2005", slug="workforce-2005", is_default=True)
    cluster = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    assistant = RoleFactory(title="Nursery Assistant", slug="nursery-assistant", level=2)
    nurse = RoleFactory(title="Nursery Nurse", slug="nursery-nurse", level=3)
    vrq = QualificationType.objects.get(name="VRQ")
    for role in (assistant, nurse):
        RoleClusterFactory(role=role, cluster=cluster)
    level2 = QualificationFactory(
        ref="100/0002/2", title="Certificate in Early Years Practice", level=2, qualification_type=vrq
    )
    level3 = QualificationFactory(
        ref="100/0003/3", title="Diploma in Child Care and Education", level=3, qualification_type=vrq
    )
    shared = ModuleFactory(ref="U-PLAY", title="Supporting children's play")
    safeguarding = ModuleFactory(ref="U-SAFE", title="Safeguarding children in the setting")
    QualificationModuleFactory(qualification=level2, module=shared, order=1)
    QualificationModuleFactory(qualification=level3, module=shared, order=1)
    QualificationModuleFactory(qualification=level3, module=safeguarding, order=2)
    AttributeFactory(qualification=None, module=shared, area=default_area(1))
    AttributeFactory(qualification=None, module=safeguarding, area=default_area(3))
    for qualification in (level2, level3):
        MappingReviewFactory(qualification=qualification, approved=True)
    RoleQualificationFactory(role=assistant, qualification=level2, is_key=True)
    RoleQualificationFactory(role=nurse, qualification=level3, is_key=True)
    london = Region.objects.get(slug="london")
    OfferingFactory(provider=ProviderFactory(name="Thameside College", region=london), qualification=level3)
    for n in range(25):
        QualificationFactory(
            ref=f"500/{n:04d}/9", title=f"Level 3 Award in Topic {n:02d}", level=3, qualification_type=vrq
        )
    QualificationFactory(ref="500/9999/1", title="Level 3 NVQ elsewhere", level=3)
    return {"level3": level3, "safeguarding": safeguarding}


def heading(page) -> str:
    return page.locator("h1").inner_text().strip()


def test_browse_from_home_to_a_module(new_page, world):
    page = new_page()
    page.goto("/")
    assert "Demonstration data" in page.locator(".govuk-phase-banner").inner_text()
    page.get_by_role("link", name="Early Years").click()
    assert heading(page) == "Early Years"
    page.get_by_role("link", name="Nursery Nurse").first.click()
    assert "Nursery Nurse" in heading(page)
    page.get_by_role("link", name="Diploma in Child Care and Education").first.click()
    assert heading(page) == "Diploma in Child Care and Education"
    assert page.url.endswith("/qualifications/100/0003/3/")
    page.get_by_role("link", name="Safeguarding children in the setting").first.click()
    assert heading(page) == "Safeguarding children in the setting"
    assert "Diploma in Child Care and Education" in page.locator("main").inner_text()


def test_finder_with_two_facets_keeps_them_across_pages(new_page, world):
    page = new_page()
    page.goto("/qualifications/")
    page.get_by_label(re.compile(r"^Level 3 \(")).check()
    page.get_by_label(re.compile(r"^VRQ \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    # the level 3 qualification of the world, 25 awards; not the level 3 NVQ, not level 2
    assert "26 qualifications match" in page.locator("main").inner_text()
    page.get_by_role("link", name=re.compile("^Next")).click()
    query = parse_qs(urlparse(page.url).query)
    assert query["level"] == ["3"] and query["type"] == ["VRQ"] and query["page"] == ["2"]
    assert page.get_by_label(re.compile(r"^Level 3 \(")).is_checked()
    assert page.get_by_label(re.compile(r"^VRQ \(")).is_checked()
    assert page.locator("main h3, main .govuk-heading-s").count() >= 1


def test_role_move_from_a_role_page(new_page, world):
    page = new_page()
    page.goto("/roles/nursery-assistant/")
    page.get_by_role("link", name="Plan a move from this role").click()
    page.get_by_label("Target role").fill("Nursery Nurse")
    page.get_by_role("button", name="Compare the roles").click()
    main = page.locator("main").inner_text()
    assert "Safeguarding and promoting the welfare of the child" in main
    assert "Safeguarding children in the setting" in main  # the module the assistant lacks
    assert "Supporting children's play" in main  # shared
    assert "50%" in main  # 1 of the target's 2 modules is shared


PAGE_TYPES = [
    "/",
    "/clusters/",
    "/clusters/workforce-2005/",
    "/clusters/workforce-2005/early-years/",
    "/roles/nursery-nurse/",
    "/roles/nursery-nurse/?region=london",
    "/qualifications/100/0003/3/",
    "/modules/U-SAFE/",
    "/qualifications/?level=3&type=VRQ",
    "/qualifications/?level=99",
    "/role-move/",
    "/role-move/?from=nursery-assistant&to=nursery-nurse",
    "/role-move/?from=nursery&to=nurse",
    "/clusters/?q=early",
    "/clusters/?page=x",
    "/providers/",
    "/common-core/",
]


def test_every_page_type_has_no_accessibility_violations(new_page, world):
    page = new_page()
    found = {}
    for url in PAGE_TYPES:
        page.goto(url)
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    assert found == {}


def test_pages_work_without_javascript_and_print_without_navigation(browser, live_server, world):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/qualifications/")
        page.get_by_label(re.compile(r"^Level 2 \(")).check()
        page.get_by_role("button", name="Apply filters").click()
        assert "1 qualification match" in page.locator("main").inner_text()
        # the role move's search step: words list the matching roles, a link chooses one
        page.goto("/role-move/?from=nursery-assistant")
        page.get_by_label("Target role").fill("nurse")
        page.get_by_role("button", name="Compare the roles").click()
        page.get_by_role("link", name="Nursery Nurse as the target role").click()
        assert "From Nursery Assistant to Nursery Nurse" in page.locator("main").inner_text()
        page.goto("/roles/nursery-nurse/")
        page.emulate_media(media="print")
        assert not page.locator(".govuk-service-navigation").is_visible()
        assert page.locator("h1").is_visible()
    finally:
        context.close()


def test_cached_pages_are_the_rendered_pages(new_page, world, settings):
    """As deployed, a page asked for again is served from the page cache: the same
    document, which passes axe and the Content-Security-Policy check, and whose forms work."""
    settings.PAGE_CACHE = True
    pages = caches["pages"]
    pages.clear()
    try:
        page = new_page()
        kept = 0
        for url in PAGE_TYPES:
            kept += page.goto(url).status == 200  # answers in error are not kept
            rendered = page.content()
            page.reload()
            assert page.content() == rendered, url
            assert axe_violations(page) == [], url
        assert kept >= len(PAGE_TYPES) - 2
        assert sum(":page:" in key for key in pages._cache) == kept  # beside the finder's counts
        page.goto("/qualifications/?level=3&type=VRQ")
        page.get_by_label(re.compile(r"^Level 2 \(")).check()
        page.get_by_role("button", name="Apply filters").click()
        assert "27 qualifications match" in page.locator("main").inner_text()
    finally:
        pages.clear()
