"""The public qualification, module, finder and provider pages, as a manager sees them."""

import random
import re
from dataclasses import dataclass, field

import pytest
from django.http import QueryDict
from django.urls import reverse

from iqf.lib.levels import level_code
from qualifications.filters import QualificationFilter
from qualifications.models import Qualification, QualificationType, Region
from tests.support.factories import (
    AwardingBodyFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
)
from tests.support.qualification_pages import (
    checkbox_counts,
    count_queries,
    covers,
    finder,
    hrefs,
    mapped,
    result_titles,
    select_counts,
    text,
)

pytestmark = pytest.mark.django_db


# -- the finder ------------------------------------------------------------------------


def test_search_matches_title_reference_and_module_titles_ignoring_case(client):
    by_title = QualificationFactory(title="Level 3 Diploma in Playwork")
    by_ref = QualificationFactory(ref="500/1234/5", title="Certificate in Child Care")
    by_module = QualificationFactory(title="Award in Outdoor Learning")
    QualificationModuleFactory(
        qualification=by_module, module=ModuleFactory(title="Supporting PLAYWORK in the open")
    )
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
    superseded = QualificationFactory(
        title="Old award", status=Qualification.Status.SUPERSEDED, superseded_by=current
    )

    response = finder(client)

    assert result_titles(response) == [current.title]
    assert checkbox_counts(response, "status") == {"current": 1, "withdrawn": 1, "superseded": 1}
    assert 'value="current" checked' in response.content.decode()
    both = finder(client, "status=withdrawn&status=superseded")
    assert result_titles(both) == [superseded.title, withdrawn.title]
    none_current = finder(client, "q=Withdrawn")
    assert "1 qualification with another status matches: tick it under Status." in text(none_current)


def test_each_result_shows_its_facts_and_areas_covered(client):
    qualification = mapped(
        QualificationFactory(
            title="NVQ Level 3 Playwork",
            ref="100/3402/7",
            level=3,
            qualification_type=QualificationType.objects.get(name="NVQ"),
            awarding_body=AwardingBodyFactory(name="CACHE"),
        )
    )
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
            level=rng.choice([None, 0, 1, 2, 3, 3, 4]),
            qualification_type=rng.choice(types),
            awarding_body=rng.choice(bodies),
            status=status,
            superseded_by=successor if status == "superseded" else None,
        )
        fact = Fact(
            qualification.level,
            qualification.qualification_type.name,
            qualification.awarding_body.name,
            status,
        )
        for role in rng.sample(roles, rng.randint(0, 2)):
            RoleQualificationFactory(role=role, qualification=qualification)
            fact.clusters |= role_clusters[role.pk]
        for provider in rng.sample(providers, rng.randint(0, 2)):
            OfferingFactory(provider=provider, qualification=qualification)
            fact.regions.add(provider.region.slug)
        facts[qualification.pk] = fact

    chosen = {
        "level": {"2", "3"},
        "type": {"Kind X", "Kind Y"},
        "region": {"london", "south-west"},
        "cluster": {"cluster-a"},
        "status": {"current", "withdrawn"},
    }
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
    expected_levels = {
        code: sum(1 for f in passing("level") if level_code(f.level) == code)
        for code in ["E", *map(str, range(1, 9))]
    }
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
            level=rng.choice([None, 1, 2, 3, 3]),
            qualification_type=rng.choice(types),
            status=status,
            superseded_by=successor if status == "superseded" else None,
        )
        key = False
        for role in rng.sample(roles, rng.randint(0, 2)):
            link = RoleQualificationFactory(role=role, qualification=qualification, is_key=rng.random() < 0.5)
            key = key or link.is_key
        facts[qualification.pk] = (qualification.level, qualification.qualification_type.name, status, key)

    tests = {
        "level": lambda f: level_code(f[0]) in {"2", "3"},
        "type": lambda f: f[1] in {"Sort X", "Sort Y"},
        "status": lambda f: f[2] in {"current", "withdrawn"},
        "key": lambda f: f[3],
    }

    def passing(skip: str | None = None) -> list[tuple]:
        return [f for f in facts.values() if all(t(f) for name, t in tests.items() if name != skip)]

    response = finder(
        client, "level=2&level=3&type=Sort+X&type=Sort+Y&status=current&status=withdrawn&key=yes"
    )

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
    assert set(result_titles(by_cluster)) == {
        intro.title,
        home_based.title,
        nursery_key.title,
        relevant.title,
    }
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
    others = sorted(
        (slug for slug in expected if slug != chosen),
        key=lambda slug: (-expected[slug][1], expected[slug][0]),
    )

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
        "Smith &amp; &quot;Jones&quot; &lt;Awards&gt; (2)</option>",
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
    Qualification.objects.bulk_create(
        [
            Qualification(
                ref=f"Q-BIG-{n}", title=f"Award {n}", title_key=f"award {n}", level=3, awarding_body=board
            )
            for n in range(1_234)
        ]
    )

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


@pytest.mark.parametrize(
    ("query", "message"),
    [
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
    ],
)
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
            qualification = mapped(
                QualificationFactory(
                    title=f"Diploma {n}", level=3, qualification_type=nvq, awarding_body=body
                )
            )
            module = ModuleFactory(title=f"Play unit {n}")
            QualificationModuleFactory(qualification=qualification, module=module)
            covers(module, 1, 3)
            RoleQualificationFactory(role=role, qualification=qualification, is_key=True)
            OfferingFactory(qualification=qualification, provider=ProviderFactory(region=london))

    query = (
        "?q=play&level=3&type=NVQ&awarding_body=CACHE&cluster=early-years&role=childminder"
        "&key=yes&area=1&region=london&status=current&sort=level"
    )
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
