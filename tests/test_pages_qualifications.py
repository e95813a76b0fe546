"""The public qualification, module, finder and provider pages, as a manager sees them."""

import html
import random
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iqf.lib.levels import level_code
from qualifications.filters import QualificationFilter
from qualifications.models import Qualification, QualificationType, Region
from roles.models import Role
from tests.factories import (
    AttributeFactory,
    AwardingBodyFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    PrerequisiteFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.pages import page_text

pytestmark = pytest.mark.django_db

AREA_TITLES = {
    1: "Effective communication and engagement with children, young people, their families "
       "and carers",
    2: "Child and young person development",
    3: "Safeguarding and promoting the welfare of the child",
    4: "Supporting transitions",
    5: "Multi-agency working",
    6: "Sharing information",
}


# -- reading pages ---------------------------------------------------------------------


def text(response) -> str:
    """The page's words, with no space left before punctuation."""
    return re.sub(r" ([.,;:])", r"\1", page_text(response))


def rows(response) -> list[str]:
    """The text of every table row, in page order."""
    found = re.findall(r"<tr\b.*?</tr>", response.content.decode(), flags=re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip() for row in found]


def row_with(response, words: str, *, start: bool = False) -> str:
    """The one table row containing (or, with ``start``, starting with) the words."""
    matching = [row for row in rows(response) if (row.startswith(words) if start else words in row)]
    assert len(matching) == 1, f"{len(matching)} rows contain {words!r}"
    return matching[0]


def hrefs(response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', response.content.decode())]


def checkbox_counts(response, name: str) -> dict[str, int]:
    """A checkbox facet's values and the counts their labels show."""
    pattern = (rf'name="{name}" type="checkbox" value="([^"]*)"[^>]*>\s*<label[^>]*>.*?'
               r'\((\d+)\)</span>\s*</label>')
    return {html.unescape(v): int(n)
            for v, n in re.findall(pattern, response.content.decode(), flags=re.S)}


def select_counts(response, name: str) -> dict[str, int]:
    """A select facet's values (but the empty one) and the counts their options show."""
    block = re.search(rf'<select[^>]*name="{name}".*?</select>', response.content.decode(), flags=re.S)
    assert block, f"no select named {name}"
    return {html.unescape(v): int(n) for v, n in
            re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+)\)</option>', block.group(0))}


def result_titles(response) -> list[str]:
    """The titles of the finder's results, in order."""
    pattern = r'<h3 class="govuk-heading-s[^"]*"><a [^>]*>([^<]*)</a></h3>'
    return [html.unescape(t) for t in re.findall(pattern, response.content.decode())]


def finder(client, query: str = ""):
    return client.get(reverse("qualifications:finder") + (f"?{query}" if query else ""))


def detail_url(qualification) -> str:
    return reverse("qualifications:qualification-detail", args=[qualification.ref])


def module_url(module) -> str:
    return reverse("qualifications:module-detail", args=[module.ref])


def mapped(qualification):
    MappingReviewFactory(qualification=qualification, approved=True)
    return qualification


def covers(subject, *numbers: int) -> None:
    """Published judgements that the module (or the qualification) covers the areas."""
    for number in numbers:
        if isinstance(subject, Qualification):
            AttributeFactory(qualification=subject, area=default_area(number))
        else:
            AttributeFactory(qualification=None, module=subject, area=default_area(number))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# -- the qualification page ------------------------------------------------------------


def test_qualification_page_shows_every_field_of_a_ref_with_slashes(client):
    qualification = QualificationFactory(
        ref="500/1234/5", title="CACHE Level 3 Diploma in Child Care and Education",
        qualification_type=QualificationTypeFactory(name="Diploma type"),
        awarding_body=AwardingBodyFactory(name="CACHE"), level=3, learning_hours=420,
        last_verified=date(2024, 3, 2), source="QCA database",
        source_url="https://example.org/qualifications/500-1234-5", notes="Four mandatory units.",
    )

    response = client.get(detail_url(qualification))

    assert response.status_code == 200
    assert reverse("qualifications:qualification-detail", args=["500/1234/5"]) == \
        "/qualifications/500/1234/5/"
    page = text(response)
    for shown in ("Reference 500/1234/5", "Type Diploma type", "Awarding body CACHE",
                  "Level Level 3", "Learning hours 420 hours", "Status Current",
                  "Date last verified 2 March 2024", "Source QCA database Source document",
                  "Notes Four mandatory units."):
        assert shown in page
    assert "https://example.org/qualifications/500-1234-5" in hrefs(response)
    assert 'govuk-tag govuk-tag--green">Current' in response.content.decode()


def test_qualification_page_says_what_is_not_recorded(client):
    qualification = QualificationFactory(level=None)
    page = text(client.get(detail_url(qualification)))
    for shown in ("Type Not recorded", "Awarding body Not recorded", "Level Not levelled",
                  "Learning hours Not published", "Date last verified Not recorded",
                  "Source Not recorded", "Notes None"):
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
    other_framework_area = default_area(3).__class__.objects.exclude(framework__is_default=True) \
        .filter(number=6).first()
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
        QualificationModuleFactory(qualification=qualification, module=module, order=order,
                                   mandatory=mandatory)
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
    assert "Needed before starting Level 2 Certificate in Playwork (Level 2) " \
           "Module First aid for playworkers" in page
    leads = page[page.index("Leads to"):page.index("Roles")]
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
    OfferingFactory(qualification=qualification, provider=ProviderFactory(name="Thames College",
                    region=london), course_hours=420, mode="part-time", cost=Decimal("1250"))
    OfferingFactory(qualification=qualification, provider=ProviderFactory(name="Tyne Training",
                    region=north_east), course_hours=None, mode="work-based", cost=None)
    OfferingFactory(qualification=qualification, provider=ProviderFactory(name="Open Learning"),
                    course_hours=300, mode="distance", cost=Decimal("0"))
    OfferingFactory(qualification=qualification,
                    provider=ProviderFactory(name="Closed College", is_archived=True))

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
            QualificationModuleFactory(qualification=qualification, module=module, order=n,
                                       mandatory=n % 2 == 0)
            covers(module, n % 6 + 1)
            PrerequisiteFactory(qualification=qualification)
            PrerequisiteFactory(required_qualification=qualification)
            RoleQualificationFactory(qualification=qualification, is_key=n % 2 == 0)
            OfferingFactory(qualification=qualification,
                            provider=ProviderFactory(region=Region.objects.order_by("?").first()))
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


# -- the module page -------------------------------------------------------------------


def test_module_page_shows_its_qualifications_and_areas(client):
    module = ModuleFactory(ref="A/601/1234", title="Safeguarding children", level=3,
                           learning_hours=30)
    covers(module, 3, 5)
    low = mapped(QualificationFactory(title="Level 2 Certificate", level=2))
    high = QualificationFactory(title="Level 3 Diploma", level=3, withdrawn=True)
    QualificationModuleFactory(qualification=low, module=module, mandatory=True)
    QualificationModuleFactory(qualification=high, module=module, mandatory=False)
    QualificationFactory(title="Not including it")

    response = client.get(module_url(module))

    assert response.status_code == 200
    page = text(response)
    assert "Reference A/601/1234" in page and "Level Level 3" in page and "30 hours" in page
    assert "This module covers 2 of 6 areas" in page
    assert row_with(response, "3. Safeguarding").endswith("Covered")
    assert row_with(response, "1. Effective").endswith("Not covered")
    assert row_with(response, "Level 2 Certificate").endswith("Level 2 Current Mandatory")
    assert row_with(response, "Level 3 Diploma").endswith("Level 3 Withdrawn Optional")
    assert "Not including it" not in page
    assert detail_url(low) in hrefs(response)


def test_a_module_that_is_also_a_qualification_links_to_it(client):
    own = QualificationFactory(title="Award in Paediatric First Aid")
    module = ModuleFactory(qualification=own)
    response = client.get(module_url(module))
    assert "also a qualification in its own right: Award in Paediatric First Aid" in text(response)
    assert detail_url(own) in hrefs(response)
    assert module_url(module) in hrefs(client.get(detail_url(own)))


def test_a_module_of_no_mapped_qualification_is_not_mapped_yet(client):
    module = ModuleFactory()
    QualificationModuleFactory(module=module)
    assert "This module has not been mapped yet" in text(client.get(module_url(module)))
    mapped(QualificationModuleFactory(module=module).qualification)
    assert "This module covers 0 of 6 areas" in text(client.get(module_url(module)))


def test_module_page_queries_do_not_grow_with_its_qualifications(client, django_assert_max_num_queries):
    def build(size: int):
        module = ModuleFactory()
        covers(module, 2)
        for n in range(size):
            qualification = QualificationFactory(awarding_body=AwardingBodyFactory(),
                                                 qualification_type=QualificationTypeFactory())
            QualificationModuleFactory(qualification=qualification, module=module)
            if n % 2:
                mapped(qualification)
            PrerequisiteFactory(of_module=True, required_module=module)
        return module

    small, large = build(5), build(25)
    assert count_queries(client, module_url(small)) == count_queries(client, module_url(large))
    # banner, module, default framework, areas, membership counts, the page of memberships,
    # mapped ids of the page, module areas, qualifications requiring it
    with django_assert_max_num_queries(9):
        response = client.get(module_url(large))
    assert response.status_code == 200
    assert len([r for r in rows(response) if "Mandatory" in r]) == 25


# -- the finder ------------------------------------------------------------------------


def test_search_matches_title_reference_and_module_titles_ignoring_case(client):
    by_title = QualificationFactory(title="Level 3 Diploma in Playwork")
    by_ref = QualificationFactory(ref="500/1234/5", title="Certificate in Child Care")
    by_module = QualificationFactory(title="Award in Outdoor Learning")
    QualificationModuleFactory(qualification=by_module,
                               module=ModuleFactory(title="Supporting PLAYWORK in the open"))
    QualificationFactory(title="Diploma in Youth Work")

    assert set(result_titles(finder(client, "q=playwork"))) == {by_title.title, by_module.title}
    assert result_titles(finder(client, "q=1234%2F5")) == [by_ref.title]
    # every word must match somewhere
    assert result_titles(finder(client, "q=diploma+PLAYWORK")) == [by_title.title]
    response = finder(client, "q=nothing+like+this")
    assert response.status_code == 200
    assert "0 qualifications match" in text(response)


def test_finder_shows_current_qualifications_unless_told_otherwise(client):
    current = QualificationFactory(title="Current award")
    withdrawn = QualificationFactory(title="Withdrawn award", withdrawn=True)
    superseded = QualificationFactory(title="Old award", status=Qualification.Status.SUPERSEDED,
                                      superseded_by=current)

    response = finder(client)

    assert result_titles(response) == [current.title]
    assert checkbox_counts(response, "status") == {"current": 1, "withdrawn": 1, "superseded": 1}
    assert 'value="current" checked' in response.content.decode()
    both = finder(client, "status=withdrawn&status=superseded")
    assert result_titles(both) == [superseded.title, withdrawn.title]
    none_current = finder(client, "q=Withdrawn")
    assert "1 qualification with another status matches: tick it under Status." in text(none_current)


def test_each_result_shows_its_facts_and_areas_covered(client):
    qualification = mapped(QualificationFactory(
        title="NVQ Level 3 Playwork", ref="100/3402/7", level=3,
        qualification_type=QualificationType.objects.get(name="NVQ"),
        awarding_body=AwardingBodyFactory(name="CACHE"),
    ))
    module = ModuleFactory()
    QualificationModuleFactory(qualification=qualification, module=module, mandatory=False)
    covers(module, 1, 2)
    covers(qualification, 5)
    unmapped = QualificationFactory(title="Unmapped award", level=None)
    covers(unmapped, 1)

    page = text(finder(client))

    assert "NVQ Level 3 Playwork 100/3402/7 · Level 3 · NVQ · CACHE Current Covers 3 of 6 areas" in page
    assert "Unmapped award" in page and "Not levelled" in page
    assert "Current Not mapped yet" in page
    guaranteed = text(finder(client, "coverage=guaranteed"))
    assert "Covers 1 of 6 areas (guaranteed)" in guaranteed


@dataclass
class Fact:
    """What the oracle knows of one qualification."""

    level: int | None
    type: str
    body: str
    status: str
    clusters: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)


def test_facet_counts_match_an_independent_count(client):
    rng = random.Random(5)
    scheme = ClusterSchemeFactory(is_default=True)
    clusters = [ClusterFactory(scheme=scheme, slug=f"cluster-{c}", name=f"Cluster {c}") for c in "abc"]
    roles = []
    for _ in range(6):
        role = RoleFactory()
        for cluster in rng.sample(clusters, rng.randint(1, 2)):
            RoleClusterFactory(role=role, cluster=cluster)
        roles.append(role)
    role_clusters = {r.pk: {c.slug for c in r.clusters.all()} for r in roles}
    types = [QualificationTypeFactory(name=f"Kind {k}") for k in "XYZ"]
    bodies = [AwardingBodyFactory(name=f"Body {b}") for b in "PQR"]
    regions = list(Region.objects.filter(slug__in=["london", "north-east", "south-west"]))
    providers = [ProviderFactory(region=region) for region in regions]
    successor = QualificationFactory(level=8, qualification_type=types[0], awarding_body=bodies[0])
    facts = {successor.pk: Fact(8, "Kind X", "Body P", "current")}
    for _ in range(40):
        status = rng.choice(["current", "current", "withdrawn", "superseded"])
        qualification = QualificationFactory(
            level=rng.choice([None, 0, 1, 2, 3, 3, 4]), qualification_type=rng.choice(types),
            awarding_body=rng.choice(bodies), status=status,
            superseded_by=successor if status == "superseded" else None,
        )
        fact = Fact(qualification.level, qualification.qualification_type.name,
                    qualification.awarding_body.name, status)
        for role in rng.sample(roles, rng.randint(0, 2)):
            RoleQualificationFactory(role=role, qualification=qualification)
            fact.clusters |= role_clusters[role.pk]
        for provider in rng.sample(providers, rng.randint(0, 2)):
            OfferingFactory(provider=provider, qualification=qualification)
            fact.regions.add(provider.region.slug)
        facts[qualification.pk] = fact

    chosen = {"level": {"2", "3"}, "type": {"Kind X", "Kind Y"}, "region": {"london", "south-west"},
              "cluster": {"cluster-a"}, "status": {"current", "withdrawn"}}
    tests = {
        "level": lambda f: level_code(f.level) in chosen["level"],
        "type": lambda f: f.type in chosen["type"],
        "region": lambda f: bool(f.regions & chosen["region"]),
        "cluster": lambda f: bool(f.clusters & chosen["cluster"]),
        "status": lambda f: f.status in chosen["status"],
    }

    def passing(skip: str | None = None) -> list[Fact]:
        return [f for f in facts.values() if all(t(f) for name, t in tests.items() if name != skip)]

    query = "&".join(f"{name}={value}" for name, values in chosen.items() for value in sorted(values))
    response = finder(client, query.replace(" ", "+"))

    assert response.status_code == 200
    assert f"{len(passing())} qualification" in text(response)
    expected_levels = {code: sum(1 for f in passing("level") if level_code(f.level) == code)
                       for code in ["E", *map(str, range(1, 9))]}
    assert checkbox_counts(response, "level") == expected_levels
    assert checkbox_counts(response, "type") == {
        t.name: sum(1 for f in passing("type") if f.type == t.name) for t in types
    } | {name: 0 for name in checkbox_counts(response, "type") if not name.startswith("Kind")}
    assert checkbox_counts(response, "status") == {
        s: sum(1 for f in passing("status") if f.status == s) for s in ("current", "withdrawn", "superseded")
    }
    region_counts = checkbox_counts(response, "region")
    for region in Region.objects.all():
        assert region_counts[region.slug] == sum(1 for f in passing("region") if region.slug in f.regions)
    assert checkbox_counts(response, "cluster") == {
        c.slug: sum(1 for f in passing("cluster") if c.slug in f.clusters) for c in clusters
    }
    bodies_shown = select_counts(response, "awarding_body")
    expected_bodies = {b.name: sum(1 for f in passing() if f.body == b.name) for b in bodies}
    assert bodies_shown == {name: n for name, n in expected_bodies.items() if n}


def test_level_status_type_and_key_counts_match_an_independent_count_with_all_four_chosen(client):
    # Each of these facets' counts sets aside its own choice only; a qualification that
    # fails two of the choices counts nowhere, one that fails one counts for that facet.
    rng = random.Random(11)
    roles = [RoleFactory() for _ in range(3)]
    types = [QualificationTypeFactory(name=f"Sort {k}") for k in "XYZ"]
    successor = QualificationFactory(level=8, qualification_type=types[2])
    facts = {successor.pk: (8, "Sort Z", "current", False)}
    for _ in range(60):
        status = rng.choice(["current", "current", "withdrawn", "superseded"])
        qualification = QualificationFactory(
            level=rng.choice([None, 1, 2, 3, 3]), qualification_type=rng.choice(types), status=status,
            superseded_by=successor if status == "superseded" else None,
        )
        key = False
        for role in rng.sample(roles, rng.randint(0, 2)):
            link = RoleQualificationFactory(role=role, qualification=qualification,
                                            is_key=rng.random() < 0.5)
            key = key or link.is_key
        facts[qualification.pk] = (qualification.level, qualification.qualification_type.name,
                                   status, key)

    tests = {
        "level": lambda f: level_code(f[0]) in {"2", "3"},
        "type": lambda f: f[1] in {"Sort X", "Sort Y"},
        "status": lambda f: f[2] in {"current", "withdrawn"},
        "key": lambda f: f[3],
    }

    def passing(skip: str | None = None) -> list[tuple]:
        return [f for f in facts.values() if all(t(f) for name, t in tests.items() if name != skip)]

    response = finder(client, "level=2&level=3&type=Sort+X&type=Sort+Y&status=current"
                              "&status=withdrawn&key=yes")

    assert response.status_code == 200
    assert f"{len(passing())} qualification" in text(response)
    assert checkbox_counts(response, "level") == {
        code: sum(1 for f in passing("level") if level_code(f[0]) == code)
        for code in ["E", *map(str, range(1, 9))]
    }
    assert checkbox_counts(response, "type") == {
        t.name: sum(1 for f in passing("type") if f[1] == t.name) for t in types
    } | {name: 0 for name in checkbox_counts(response, "type") if not name.startswith("Sort")}
    assert checkbox_counts(response, "status") == {
        s: sum(1 for f in passing("status") if f[2] == s) for s in ("current", "withdrawn", "superseded")
    }
    assert checkbox_counts(response, "key") == {"yes": len(passing())}


def test_the_grouped_counts_leave_out_qualifications_failing_two_choices():
    vrq, other = QualificationTypeFactory(name="Kind V"), QualificationTypeFactory(name="Kind W")
    QualificationFactory(level=3, qualification_type=vrq)
    QualificationFactory(level=2, qualification_type=vrq)  # fails the level only
    QualificationFactory(level=3, qualification_type=other)  # fails the type only
    QualificationFactory(level=2, qualification_type=other)  # fails both: counts for no facet
    filters = QualificationFilter(QueryDict("level=3&type=Kind+V"), queryset=Qualification.objects.all())
    assert filters.is_valid()

    cells = filters.cells()

    assert sorted((c.level, c.type_id, c.n) for c in cells) == sorted(
        [(2, vrq.pk, 1), (3, other.pk, 1), (3, vrq.pk, 1)]
    )
    facets = {f.name: f for f in filters.facets()}
    assert {o.value: o.count for o in facets["level"].options if o.count} == {"2": 1, "3": 1}
    assert {o.value: o.count for o in facets["type"].options if o.count} == {"Kind V": 1, "Kind W": 1}
    assert filters.count == 1


def test_jan_finds_the_key_qualifications_of_a_childminder(client):
    scheme = ClusterSchemeFactory(is_default=True)
    early_years = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    childminder = RoleFactory(title="Childminder", slug="childminder")
    nursery = RoleFactory(title="Nursery nurse", slug="nursery-nurse")
    RoleClusterFactory(role=childminder, cluster=early_years)
    RoleClusterFactory(role=nursery, cluster=early_years)
    home_based = QualificationFactory(title="Level 3 Diploma in Home-based Childcare", level=3)
    intro = QualificationFactory(title="Introducing Childminding Practice", level=3)
    relevant = QualificationFactory(title="Level 2 Certificate in Child Care", level=2)
    nursery_key = QualificationFactory(title="Level 3 Nursery Diploma", level=3)
    RoleQualificationFactory(role=childminder, qualification=home_based, is_key=True)
    RoleQualificationFactory(role=childminder, qualification=intro, is_key=True)
    RoleQualificationFactory(role=childminder, qualification=relevant, is_key=False)
    RoleQualificationFactory(role=nursery, qualification=nursery_key, is_key=True)
    RoleQualificationFactory(role=nursery, qualification=relevant, is_key=True)

    key = finder(client, "role=childminder&key=yes")
    assert result_titles(key) == [intro.title, home_based.title]
    all_hers = finder(client, "role=childminder")
    assert set(result_titles(all_hers)) == {intro.title, home_based.title, relevant.title}
    # in the cluster, roles are offered with counts; key-only counts key links for each role
    by_cluster = finder(client, "cluster=early-years&key=yes")
    assert select_counts(by_cluster, "role") == {"childminder": 2, "nursery-nurse": 2}
    assert set(result_titles(by_cluster)) == {intro.title, home_based.title, nursery_key.title,
                                              relevant.title}
    assert checkbox_counts(key, "key") == {"yes": 2}
    assert checkbox_counts(all_hers, "key") == {"yes": 2}


def test_area_filter_counts_only_mapped_qualifications_covering_every_area(client):
    optional_only = mapped(QualificationFactory(title="A optional route"))
    module = ModuleFactory()
    QualificationModuleFactory(qualification=optional_only, module=module, mandatory=False)
    covers(module, 3, 4)
    mandatory = mapped(QualificationFactory(title="B mandatory route"))
    QualificationModuleFactory(qualification=mandatory, module=ModuleFactory(), mandatory=True)
    covers(mandatory.memberships.get().module, 3)
    own = mapped(QualificationFactory(title="C own judgement"))
    covers(own, 3, 4)
    unmapped = QualificationFactory(title="D not mapped")
    QualificationModuleFactory(qualification=unmapped, module=module)

    assert result_titles(finder(client, "area=3")) == [optional_only.title, mandatory.title, own.title]
    assert result_titles(finder(client, "area=3&area=4")) == [optional_only.title, own.title]
    guaranteed = finder(client, "area=3&coverage=guaranteed")
    assert result_titles(guaranteed) == [mandatory.title, own.title]
    counts = checkbox_counts(finder(client), "area")
    assert counts == {"1": 0, "2": 0, "3": 3, "4": 2, "5": 0, "6": 0}


def test_framework_parameter_chooses_the_areas(client):
    from commoncore.models import Framework

    other = Framework.objects.exclude(is_default=True).first()
    response = finder(client, f"framework={other.slug}&area=1")
    assert response.status_code == 200
    assert f"Areas covered ({other.name})" in text(response)


def test_key_and_region_filters(client):
    london = Region.objects.get(slug="london")
    in_london = QualificationFactory(title="Offered in London")
    OfferingFactory(qualification=in_london, provider=ProviderFactory(region=london))
    archived = QualificationFactory(title="Offered by a closed provider")
    OfferingFactory(qualification=archived, provider=ProviderFactory(region=london, is_archived=True))
    key = QualificationFactory(title="Key somewhere")
    RoleQualificationFactory(qualification=key, is_key=True)
    RoleQualificationFactory(qualification=in_london, is_key=False)

    assert result_titles(finder(client, "region=london")) == [in_london.title]
    assert result_titles(finder(client, "key=yes")) == [key.title]
    assert len(result_titles(finder(client, "key=no"))) == 3


def test_sort_by_title_or_by_level(client):
    for title, level in (("Delta", 5), ("Alpha", None), ("Charlie", 0), ("Bravo", 2)):
        QualificationFactory(title=title, level=level)
    assert result_titles(finder(client)) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert result_titles(finder(client, "sort=level")) == ["Charlie", "Bravo", "Delta", "Alpha"]


def test_scheme_parameter_switches_the_clusters_offered(client):
    default = ClusterSchemeFactory(is_default=True)
    early_years = ClusterFactory(scheme=default, slug="early-years", name="Early Years")
    ClusterFactory(scheme=default, slug="empty", name="No roles yet")  # no results: not offered
    nursery = RoleFactory()
    RoleClusterFactory(role=nursery, cluster=early_years)
    RoleQualificationFactory(role=nursery)
    other = ClusterSchemeFactory(slug="by-service", name="By service")
    service = ClusterFactory(scheme=other, slug="schools", name="Schools")
    qualification = QualificationFactory(title="School award")
    role = RoleFactory()
    RoleClusterFactory(role=role, cluster=service)
    RoleQualificationFactory(role=role, qualification=qualification)

    response = finder(client)
    assert set(checkbox_counts(response, "cluster")) == {"early-years"}
    assert "?scheme=by-service" in hrefs(response)
    switched = finder(client, "scheme=by-service&cluster=schools")
    assert result_titles(switched) == [qualification.title]
    assert 'name="scheme" value="by-service"' in switched.content.decode()
    assert finder(client, "cluster=schools").status_code == 400  # not a cluster of the default


def test_cluster_facet_offers_the_chosen_then_the_ten_with_most_results(client):
    scheme = ClusterSchemeFactory(is_default=True)
    counts = [5, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1]  # the tenth place is a tie of four
    names = random.Random(4).sample([f"Cluster {chr(ord('A') + i)}" for i in range(14)], 14)
    expected = {}
    for i, (name, count) in enumerate(zip(names, counts, strict=True)):
        cluster = ClusterFactory(scheme=scheme, slug=f"c{i:02d}", name=name)
        first, second = RoleFactory(), RoleFactory()
        RoleClusterFactory(role=first, cluster=cluster)
        RoleClusterFactory(role=second, cluster=cluster)
        qualifications = [QualificationFactory() for _ in range(count)]
        for qualification in qualifications:
            RoleQualificationFactory(role=first, qualification=qualification)
        # the same qualification through a second role of the cluster counts once
        RoleQualificationFactory(role=second, qualification=qualifications[0])
        expected[cluster.slug] = (name, count)
    chosen = "c13"  # one result: outside the ten
    others = sorted((slug for slug in expected if slug != chosen),
                    key=lambda slug: (-expected[slug][1], expected[slug][0]))

    shown = checkbox_counts(finder(client, f"cluster={chosen}"), "cluster")

    assert list(shown) == [chosen, *others[:10]]
    assert shown == {slug: expected[slug][1] for slug in [chosen, *others[:10]]}


def test_awarding_body_options_are_escaped_counted_and_the_chosen_selected(client):
    odd = AwardingBodyFactory(name='Smith & "Jones" <Awards>')
    plain = AwardingBodyFactory(name="Plain Awards")
    for body, count in ((odd, 2), (plain, 1)):
        for _ in range(count):
            QualificationFactory(awarding_body=body)

    page = finder(client, "awarding_body=Plain+Awards").content.decode()

    select = re.search(r'<select[^>]*name="awarding_body".*?</select>', page, flags=re.S).group(0)
    options = re.findall(r"<option[^>]*>[^<]*</option>", select)
    assert options == [
        '<option value="">Any awarding body</option>',
        '<option value="Plain Awards" selected>Plain Awards (1)</option>',
        '<option value="Smith &amp; &quot;Jones&quot; &lt;Awards&gt;">'
        'Smith &amp; &quot;Jones&quot; &lt;Awards&gt; (2)</option>',
    ]


def test_filters_survive_pagination(client):
    for n in range(45):
        QualificationFactory(title=f"Diploma {n:02d}", level=3)
    for n in range(5):
        QualificationFactory(title=f"Diploma {n:02d} at level 2", level=2)

    first = finder(client, "q=diploma&level=3")

    assert "45 qualifications match" in text(first)
    assert result_titles(first) == [f"Diploma {n:02d}" for n in range(20)]
    assert "Showing 1 to 20 of 45." in text(first)
    next_links = [h for h in hrefs(first) if "page=2" in h]
    assert next_links and all("q=diploma" in h and "level=3" in h for h in next_links)
    second = client.get(reverse("qualifications:finder") + next_links[0])
    assert second.status_code == 200
    assert result_titles(second) == [f"Diploma {n:02d}" for n in range(20, 40)]
    last = finder(client, "q=diploma&level=3&page=3")
    assert result_titles(last) == [f"Diploma {n:02d}" for n in range(40, 45)]
    assert any("page=2" in h and "level=3" in h for h in hrefs(last))  # previous page


def test_paging_or_sorting_everything_is_not_filtering(client):
    QualificationFactory.create_batch(25, level=3)

    for query in ("", "page=2", "sort=level&page=2"):
        heading = text(finder(client, query))
        assert "25 qualifications" in heading and "match" not in heading, query
    assert "25 qualifications match" in text(finder(client, "level=3&page=2"))


def test_counts_of_a_thousand_or_more_are_written_with_a_thousands_separator(client):
    board = AwardingBodyFactory(name="Brookford Examinations Board")
    Qualification.objects.bulk_create([
        Qualification(ref=f"Q-BIG-{n}", title=f"Award {n}", title_key=f"award {n}", level=3,
                      awarding_body=board)
        for n in range(1_234)
    ])

    response = finder(client)

    page = text(response)
    assert "1,234 qualifications" in page and "Showing 1 to 20 of 1,234." in page
    assert '<span class="iqf-facet-count">(1,234)</span>' in response.content.decode()
    assert ">Brookford Examinations Board (1,234)</option>" in response.content.decode()
    assert "page=62" in response.content.decode()  # the last page's link is a plain number


def test_a_page_past_the_last_is_404(client):
    QualificationFactory()
    assert finder(client, "page=1").status_code == 200
    assert finder(client, "page=2").status_code == 404
    assert finder(client, "q=nothing&page=1").status_code == 200  # an empty first page is a page


@pytest.mark.parametrize(("query", "message"), [
    ("level=9", "Level: “9” is not a level: E, 1 to 8"),
    ("level=", "Level: “” is not a level"),
    ("status=lost", "Status: “lost” is not a status"),
    ("type=Nonsense", "Type: “Nonsense” is not a qualification type"),
    ("awarding_body=Nobody", "Awarding body: There is no awarding body of that name"),
    ("cluster=nowhere", "Cluster: “nowhere” is not a cluster of the chosen scheme"),
    ("scheme=nowhere", "Cluster scheme: “nowhere” is not a cluster scheme"),
    ("role=astronaut", "Role: There is no role with that link name"),
    ("area=7", "Areas covered: “7” is not an area number of the framework"),
    ("area=one", "Areas covered: “one” is not an area number"),
    ("framework=nope", "Framework: “nope” is not a framework"),
    ("coverage=some", "Coverage: “some” is not possible or guaranteed"),
    ("key=maybe", "Key qualifications: “maybe” is not yes or no"),
    ("region=mars", "Region: “mars” is not an English region"),
    ("sort=price", "Sort: “price” is not title or level"),
    ("page=two", "Page: “two” is not a page number"),
    ("page=0", "Page: “0” is not a page number"),
    ("page=-1", "Page: “-1” is not a page number"),
    ("q=" + "x" * 201, "Search: Search for at most 200 characters"),
])
def test_bad_finder_parameters_are_400_with_the_form_saying_why(client, query, message):
    ClusterSchemeFactory(is_default=True)
    response = finder(client, query)
    assert response.status_code == 400
    page = text(response)
    assert page.startswith("Error: Find a qualification")
    assert "There is a problem " + message in page
    assert "govuk-error-summary" in response.content.decode()
    assert 'name="q"' in response.content.decode()  # the form is there to correct


def test_finder_queries_do_not_grow_with_results(client, django_assert_max_num_queries):
    scheme = ClusterSchemeFactory(is_default=True)
    cluster = ClusterFactory(scheme=scheme, slug="early-years")
    role = RoleFactory(slug="childminder")
    RoleClusterFactory(role=role, cluster=cluster)
    london = Region.objects.get(slug="london")
    nvq = QualificationType.objects.get(name="NVQ")
    body = AwardingBodyFactory(name="CACHE")

    def build(size: int) -> None:
        for n in range(size):
            qualification = mapped(QualificationFactory(title=f"Diploma {n}", level=3,
                                                        qualification_type=nvq, awarding_body=body))
            module = ModuleFactory(title=f"Play unit {n}")
            QualificationModuleFactory(qualification=qualification, module=module)
            covers(module, 1, 3)
            RoleQualificationFactory(role=role, qualification=qualification, is_key=True)
            OfferingFactory(qualification=qualification, provider=ProviderFactory(region=london))

    query = ("?q=play&level=3&type=NVQ&awarding_body=CACHE&cluster=early-years&role=childminder"
             "&key=yes&area=1&region=london&status=current&sort=level")
    url = reverse("qualifications:finder") + query
    build(5)
    small = count_queries(client, url)
    build(20)
    assert count_queries(client, url) == small
    # banner; schemes, frameworks, areas; validating type, awarding body, cluster, role,
    # region; facets: key, level, status, type, awarding body, cluster, role, area, region;
    # result count, the page, areas covered (2)
    with django_assert_max_num_queries(22):
        response = client.get(url)
    assert response.status_code == 200
    assert "25 qualifications match" in text(response)
    assert len(result_titles(response)) == 20


# -- the provider directory ------------------------------------------------------------


def test_directory_groups_providers_by_region_in_order_with_their_offer(client):
    south_west = Region.objects.get(slug="south-west")
    north_east = Region.objects.get(slug="north-east")
    ProviderFactory(name="Aardvark College", region=south_west)
    tyne = ProviderFactory(name="Zed Tyne College", region=north_east)
    ProviderFactory(name="Open Learning")
    ProviderFactory(name="Gone College", region=north_east, is_archived=True)
    qualification = QualificationFactory(title="Level 3 Diploma in Youth Work", level=3)
    OfferingFactory(provider=tyne, qualification=qualification, course_hours=360,
                    mode="part-time", cost=Decimal("980.5"))

    response = client.get(reverse("qualifications:provider-directory"))

    assert response.status_code == 200
    page = text(response)
    assert page.index("North East Zed Tyne College") < page.index("South West Aardvark College") \
        < page.index("National or distance providers Open Learning")
    assert "Gone College" not in page
    assert row_with(response, "Youth Work") == \
        "Level 3 Diploma in Youth Work Level 3 Part-time 360 £980.50"
    assert detail_url(qualification) in hrefs(response)


def test_directory_filters_by_region_and_keeps_it_across_pages(client):
    london = Region.objects.get(slug="london")
    for n in range(12):
        ProviderFactory(name=f"London provider {n:02d}", region=london)
    ProviderFactory(name="Elsewhere", region=Region.objects.get(slug="north-west"))

    response = client.get(reverse("qualifications:provider-directory") + "?region=london")

    page = text(response)
    assert "Providers in London" in page and "Elsewhere" not in page
    assert "12 providers in London; showing 1 to 10." in page
    second = [h for h in hrefs(response) if "page=2" in h]
    assert second and all("region=london" in h for h in second)
    assert "London provider 11" in text(client.get(reverse("qualifications:provider-directory")
                                                   + second[0]))
    assert client.get(reverse("qualifications:provider-directory")
                      + "?region=london&page=3").status_code == 404


@pytest.mark.parametrize(("query", "message"), [
    ("region=mars", "Region: Choose one of the English regions"),
    ("page=x", "Page: “x” is not a page number"),
])
def test_bad_directory_parameters_are_400(client, query, message):
    response = client.get(reverse("qualifications:provider-directory") + "?" + query)
    assert response.status_code == 400
    assert "There is a problem " + message in text(response)


def test_directory_queries_do_not_grow_with_providers(client, django_assert_max_num_queries):
    regions = list(Region.objects.all())

    def build(size: int) -> None:
        for n in range(size):
            provider = ProviderFactory(region=regions[n % len(regions)] if n % 7 else None)
            for _ in range(3):
                OfferingFactory(provider=provider)

    url = reverse("qualifications:provider-directory")
    build(5)
    small = count_queries(client, url)
    build(20)
    assert count_queries(client, url) == small
    # banner, providers per region, regions, count, the page of providers, their offerings
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    assert len([r for r in rows(response) if "Part-time" in r]) == 30  # 10 providers × 3
    with django_assert_max_num_queries(7):  # and the region's own look-up
        response = client.get(url + "?region=london")
    assert response.status_code == 200


@pytest.mark.parametrize("name", [
    "q", "level", "status", "type", "awarding_body", "scheme", "cluster", "role", "framework",
    "area", "coverage", "key", "region", "sort", "page",
])
def test_a_null_character_in_any_finder_parameter_is_400(client, name):
    assert finder(client, f"{name}=%00").status_code == 400


def test_null_characters_in_references_and_the_directory_are_handled(client):
    assert client.get("/qualifications/50%000/").status_code == 404
    assert client.get("/modules/A%00/").status_code == 404
    assert client.get(reverse("qualifications:provider-directory") + "?region=%00").status_code == 400


def test_filters_in_use_can_be_removed_one_by_one(client):
    QualificationFactory(title="Diploma in Play", level=3)
    QualificationFactory(title="Certificate in Play", level=2)
    QualificationFactory(title="Award in Care", level=2)

    response = finder(client, "q=play&level=3&level=2&area=4&page=1")

    page = text(response)
    assert "Filters in use Search: “play” – remove" in page
    assert "Level: Level 3 – remove" in page and "Level: Level 2 – remove" in page
    assert "Covers area: 4. Supporting transitions – remove" in page
    links = hrefs(response)
    assert "?level=3&level=2&area=4" in links  # search removed, back to page 1
    assert "?q=play&level=2&area=4" in links  # only Level 3 removed
    without_area = client.get(reverse("qualifications:finder") + "?q=play&level=3&level=2")
    assert result_titles(without_area) == ["Certificate in Play", "Diploma in Play"]
