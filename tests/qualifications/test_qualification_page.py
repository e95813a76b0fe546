"""The public qualification, module, finder and provider pages, as a manager sees them."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from qualifications.models import Qualification, Region
from roles.models import Role
from tests.support.factories import (
    AttributeFactory,
    AwardingBodyFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    PrerequisiteFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.support.qualification_pages import (
    AREA_TITLES,
    count_queries,
    covers,
    detail_url,
    hrefs,
    mapped,
    module_url,
    row_with,
    rows,
    text,
)

pytestmark = pytest.mark.django_db


# -- the qualification page ------------------------------------------------------------


def test_qualification_page_shows_every_field_of_a_ref_with_slashes(client):
    qualification = QualificationFactory(
        ref="500/1234/5",
        title="CACHE Level 3 Diploma in Child Care and Education",
        qualification_type=QualificationTypeFactory(name="Diploma type"),
        awarding_body=AwardingBodyFactory(name="CACHE"),
        level=3,
        learning_hours=420,
        last_verified=date(2024, 3, 2),
        source="QCA database",
        source_url="https://example.org/qualifications/500-1234-5",
        notes="Four mandatory units.",
    )

    response = client.get(detail_url(qualification))

    assert response.status_code == 200
    assert (
        reverse("qualifications:qualification-detail", args=["500/1234/5"]) == "/qualifications/500/1234/5/"
    )
    page = text(response)
    for shown in (
        "Reference 500/1234/5",
        "Type Diploma type",
        "Awarding body CACHE",
        "Level Level 3",
        "Learning hours 420 hours",
        "Status Current",
        "Date last verified 2 March 2024",
        "Source QCA database Source document",
        "Notes Four mandatory units.",
    ):
        assert shown in page
    assert "https://example.org/qualifications/500-1234-5" in hrefs(response)
    assert 'govuk-tag govuk-tag--green">Current' in response.content.decode()


def test_qualification_page_says_what_is_not_recorded(client):
    qualification = QualificationFactory(level=None)
    page = text(client.get(detail_url(qualification)))
    for shown in (
        "Type Not recorded",
        "Awarding body Not recorded",
        "Level Not levelled",
        "Learning hours Not published",
        "Date last verified Not recorded",
        "Source Not recorded",
        "Notes None",
    ):
        assert shown in page


def test_a_withdrawn_qualification_says_so_prominently(client):
    qualification = QualificationFactory(withdrawn=True)
    response = client.get(detail_url(qualification))
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-warning-text" in content
    assert "This qualification has been withdrawn." in text(response)
    assert 'govuk-tag--red">Withdrawn' in content


def test_a_superseded_qualification_links_to_its_successor(client):
    successor = QualificationFactory(ref="600/0001/1", title="Level 3 Diploma for the Workforce")
    old = QualificationFactory(status=Qualification.Status.SUPERSEDED, superseded_by=successor)

    response = client.get(detail_url(old))

    page = text(response)
    assert "This qualification has been superseded by Level 3 Diploma for the Workforce." in page
    assert detail_url(successor) in hrefs(response)
    # and the successor names what it replaces
    assert detail_url(old) in hrefs(client.get(detail_url(successor)))
    assert f"Replaces {old.title} ({old.ref})" in text(client.get(detail_url(successor)))


def test_unknown_references_are_404_even_with_slashes(client):
    QualificationFactory(ref="500/1234/5")
    ModuleFactory(ref="A/601/1234")
    assert client.get("/qualifications/500/1234/6/").status_code == 404
    assert client.get("/qualifications/500/1234/").status_code == 404
    assert client.get("/modules/A/601/9999/").status_code == 404
    assert client.get("/modules/A/601/1234/").status_code == 200
    assert client.get("/qualifications/500/1234/5/").status_code == 200


def test_pages_refuse_a_post(client):
    qualification = QualificationFactory()
    assert client.post(detail_url(qualification)).status_code == 405
    assert client.post(reverse("qualifications:finder")).status_code == 405
    assert client.post(reverse("qualifications:provider-directory")).status_code == 405


def test_modules_are_listed_in_order_with_their_tags_and_areas(client):
    qualification = QualificationFactory()
    first = ModuleFactory(title="Zebra unit on play")  # order decides, not the title
    second = ModuleFactory(title="Alpha unit on safeguarding")
    third = ModuleFactory(title="Middle unit on nothing")
    QualificationModuleFactory(qualification=qualification, module=second, order=2, mandatory=False)
    QualificationModuleFactory(qualification=qualification, module=first, order=1, mandatory=True)
    QualificationModuleFactory(qualification=qualification, module=third, order=3, mandatory=True)
    covers(first, 1, 2)
    covers(second, 3)
    other_framework_area = (
        default_area(3).__class__.objects.exclude(framework__is_default=True).filter(number=6).first()
    )
    AttributeFactory(qualification=None, module=third, area=other_framework_area)

    response = client.get(detail_url(qualification))

    module_rows = [row for row in rows(response) if " unit on " in row]
    assert [row.split(" ")[0] for row in module_rows] == ["Zebra", "Alpha", "Middle"]
    assert module_rows[0].endswith("Mandatory Not levelled 1. Communication 2. Development")
    assert module_rows[1].endswith("Optional Not levelled 3. Safeguarding")
    assert module_rows[2].endswith("Mandatory Not levelled None recorded")  # other framework
    assert module_url(first) in hrefs(response)


def test_coverage_guaranteed_and_possible_follow_the_definition(client):
    rng = random.Random(11)
    qualification = mapped(QualificationFactory())
    own = {6}
    covers(qualification, *own)
    memberships = []
    for order in range(8):
        module = ModuleFactory()
        numbers = set(rng.sample(range(1, 6), rng.randint(0, 2)))
        covers(module, *numbers)
        mandatory = order % 3 == 0
        QualificationModuleFactory(
            qualification=qualification, module=module, order=order, mandatory=mandatory
        )
        memberships.append((numbers, mandatory))
    guaranteed = own.union(*(n for n, mandatory in memberships if mandatory))
    possible = own.union(*(n for n, _ in memberships))
    assert guaranteed != possible  # the seed gives a difference worth showing

    response = client.get(detail_url(qualification))

    page = text(response)
    assert f"Every learner covers {len(guaranteed)} of 6 areas" in page
    assert f"a learner can cover {len(possible)} of 6" in page
    for number, title in AREA_TITLES.items():
        expected = " ".join("Covered" if number in s else "Not covered" for s in (guaranteed, possible))
        assert row_with(response, f"{number}. {title}", start=True).endswith(expected)


def test_an_unmapped_qualification_says_it_is_not_mapped(client):
    qualification = QualificationFactory()
    MappingReviewFactory(qualification=qualification, submitted=True)  # not yet published
    module = ModuleFactory(title="Unit judged elsewhere")
    QualificationModuleFactory(qualification=qualification, module=module)
    covers(module, 4)

    response = client.get(detail_url(qualification))

    page = text(response)
    assert "has not been mapped against the Common Core of Skills and Knowledge (2005) yet" in page
    assert "Guaranteed" not in page
    assert row_with(response, "Unit judged elsewhere").endswith("4. Transitions")


def test_prerequisites_and_what_the_qualification_leads_to(client):
    qualification = QualificationFactory(title="Level 3 Diploma in Playwork")
    earlier = QualificationFactory(title="Level 2 Certificate in Playwork", level=2)
    unit = ModuleFactory(title="First aid for playworkers")
    PrerequisiteFactory(qualification=qualification, required_qualification=earlier)
    PrerequisiteFactory(qualification=qualification, of_module=True, required_module=unit)
    later = QualificationFactory(title="Level 4 Playwork Management")
    PrerequisiteFactory(qualification=later, required_qualification=qualification)
    as_module = ModuleFactory(qualification=qualification)
    via_module = QualificationFactory(title="Level 5 Leading Play Services")
    PrerequisiteFactory(qualification=via_module, of_module=True, required_module=as_module)
    QualificationFactory(title="Unrelated award")

    response = client.get(detail_url(qualification))

    page = text(response)
    assert (
        "Needed before starting Level 2 Certificate in Playwork (Level 2) "
        "Module First aid for playworkers" in page
    )
    leads = page[page.index("Leads to") : page.index("Roles")]
    assert "Level 4 Playwork Management" in leads and "Level 5 Leading Play Services" in leads
    assert "Unrelated award" not in leads
    for target in (detail_url(earlier), module_url(unit), detail_url(later), module_url(as_module)):
        assert target in hrefs(response)


def test_roles_served_link_to_role_pages_key_ones_first(client):
    qualification = QualificationFactory()
    nursery = RoleFactory(title="Nursery assistant", slug="nursery-assistant", level=2)
    childminder = RoleFactory(title="Childminder", slug="childminder")
    gone = RoleFactory(title="Old role", status=Role.Status.ARCHIVED)
    RoleQualificationFactory(role=nursery, qualification=qualification, is_key=False)
    RoleQualificationFactory(role=childminder, qualification=qualification, is_key=True)
    RoleQualificationFactory(role=gone, qualification=qualification, is_key=True)

    response = client.get(detail_url(qualification))

    assert row_with(response, "Childminder") == "Childminder Not levelled Key"
    assert row_with(response, "Nursery assistant") == "Nursery assistant Level 2 Relevant"
    assert "Old role" not in text(response)
    assert reverse("roles:role-detail", args=["childminder"]) in hrefs(response)
    page = text(response)
    assert page.index("Childminder Not levelled Key") < page.index("Nursery assistant Level 2")


def test_providers_show_hours_mode_cost_and_region_in_region_order(client):
    qualification = QualificationFactory()
    london = Region.objects.get(slug="london")
    north_east = Region.objects.get(slug="north-east")
    OfferingFactory(
        qualification=qualification,
        provider=ProviderFactory(name="Thames College", region=london),
        course_hours=420,
        mode="part-time",
        cost=Decimal("1250"),
    )
    OfferingFactory(
        qualification=qualification,
        provider=ProviderFactory(name="Tyne Training", region=north_east),
        course_hours=None,
        mode="work-based",
        cost=None,
    )
    OfferingFactory(
        qualification=qualification,
        provider=ProviderFactory(name="Open Learning"),
        course_hours=300,
        mode="distance",
        cost=Decimal("0"),
    )
    OfferingFactory(
        qualification=qualification, provider=ProviderFactory(name="Closed College", is_archived=True)
    )

    response = client.get(detail_url(qualification))

    provider_rows = [r for r in rows(response) if r.split(" ")[0] in ("Thames", "Tyne", "Open")]
    assert provider_rows == [
        "Tyne Training North East Work-based Not known Not known",
        "Thames College London Part-time 420 £1,250.00",
        "Open Learning National or distance Distance 300 Free",
    ]
    assert "Closed College" not in text(response)


def test_qualification_page_queries_do_not_grow_with_its_size(client, django_assert_max_num_queries):
    def build(size: int) -> Qualification:
        qualification = mapped(QualificationFactory(superseded_by=None))
        covers(qualification, 1)
        for n in range(size):
            module = ModuleFactory(qualification=QualificationFactory() if n % 5 == 0 else None)
            QualificationModuleFactory(
                qualification=qualification, module=module, order=n, mandatory=n % 2 == 0
            )
            covers(module, n % 6 + 1)
            PrerequisiteFactory(qualification=qualification)
            PrerequisiteFactory(required_qualification=qualification)
            RoleQualificationFactory(qualification=qualification, is_key=n % 2 == 0)
            OfferingFactory(
                qualification=qualification,
                provider=ProviderFactory(region=Region.objects.order_by("?").first()),
            )
            QualificationFactory(status=Qualification.Status.SUPERSEDED, superseded_by=qualification)
        return qualification

    small, large = build(5), build(25)
    assert count_queries(client, detail_url(small)) == count_queries(client, detail_url(large))
    # banner, default framework, the qualification (+type, body, successor, module, mapped),
    # areas, pre-requirements, memberships, module areas, possible (2), guaranteed (2),
    # leads to, replaced, roles, offerings
    with django_assert_max_num_queries(15):
        response = client.get(detail_url(large))
    assert response.status_code == 200
    assert len([r for r in rows(response) if r.startswith("Unit on")]) == 25
