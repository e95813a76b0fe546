"""The public cluster scheme, cluster, role and role-move pages, and the role-move
selector checked against a plain-Python oracle over the same factory data."""

import random
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commoncore import coverage
from commoncore.models import Framework
from qualifications.models import Qualification, Region
from roles import moves
from roles.models import ClusterScheme, Role
from tests.support.factories import (
    AttributeFactory,
    AwardingBodyFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

AREA_TITLES = {
    1: "Effective communication and engagement with children, young people, their families and carers",
    2: "Child and young person development",
    3: "Safeguarding and promoting the welfare of the child",
    4: "Supporting transitions",
    5: "Multi-agency working",
    6: "Sharing information",
}


def section(response, heading: str, next_heading: str | None = None) -> str:
    """The page text from ``heading`` (its last occurrence: the contents list names it
    first) up to ``next_heading`` (or the end)."""
    page = page_text(response)
    start = page.rindex(heading)
    end = page.index(next_heading, start) if next_heading else len(page)
    return page[start:end]


def assert_in_order(page: str, parts: list[str]) -> None:
    """Each part appears in the page after the one before it."""
    start = 0
    for part in parts:
        assert part in page[start:], f"{part!r} missing after position {start}"
        start = page.index(part, start) + len(part)


def mapped(qualification, *areas: int) -> None:
    """Publish a grid of the qualification, judging that it covers ``areas`` itself."""
    MappingReviewFactory(qualification=qualification, approved=True)
    for number in areas:
        AttributeFactory(qualification=qualification, area=default_area(number))


def module_covering(*areas: int):
    module = ModuleFactory()
    for number in areas:
        AttributeFactory(qualification=None, module=module, area=default_area(number))
    return module


def queries(client, url: str) -> int:
    """How many queries the page runs; it must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# -- cluster schemes -------------------------------------------------------------------


def test_scheme_index_lists_schemes_default_first_with_the_default_scheme_clusters(client):
    other = ClusterSchemeFactory(name="Alphabetically first")
    default = ClusterSchemeFactory(name="The usual scheme", is_default=True)
    cluster = ClusterFactory(scheme=default, name="Early Years")
    for _ in range(2):
        RoleClusterFactory(cluster=cluster)
    ClusterFactory(scheme=other, name="Schools")

    response = client.get(reverse("roles:scheme-index"))

    assert response.status_code == 200
    page = page_text(response)
    assert page.index("The usual scheme Default") < page.index("Alphabetically first")
    assert "The usual scheme Default 1 2" in page  # 1 cluster, 2 roles
    assert "Early Years 2 0 0" in page
    assert "Schools" not in page  # only the default scheme's clusters are listed
    body = response.content.decode()
    assert reverse("roles:scheme-detail", args=[other.slug]) in body


def test_scheme_detail_counts_current_roles_and_distinct_qualifications(client):
    scheme = ClusterSchemeFactory(is_default=True)
    cluster = ClusterFactory(scheme=scheme, name="Play work")
    shared, key = QualificationFactory(), QualificationFactory()
    roles = [RoleFactory() for _ in range(3)]
    for role in roles:
        RoleClusterFactory(role=role, cluster=cluster)
        RoleQualificationFactory(role=role, qualification=shared)  # counted once
    RoleQualificationFactory(role=roles[0], qualification=key, is_key=True)
    RoleQualificationFactory(role=roles[1], qualification=key, is_key=False)
    RoleQualificationFactory(role=roles[2])
    archived = RoleFactory(status=Role.Status.ARCHIVED)
    RoleClusterFactory(role=archived, cluster=cluster)
    RoleQualificationFactory(role=archived, is_key=True)  # an archived role's links do not count
    ClusterFactory(scheme=scheme, name="Empty cluster")
    other = ClusterSchemeFactory(name="By service")

    response = client.get(reverse("roles:scheme-detail", args=[scheme.slug]))

    assert response.status_code == 200
    page = page_text(response)
    # 3 current roles; shared + key + the third role's own = 3 qualifications, 1 of them key
    assert "Play work 3 3 1" in page
    assert "Empty cluster 0 0 0" in page
    assert "Group roles another way By service" in page
    assert reverse("roles:scheme-detail", args=[other.slug]) in response.content.decode()


def test_scheme_detail_404_for_an_unknown_scheme(client):
    assert client.get(reverse("roles:scheme-detail", args=["no-such-scheme"])).status_code == 404


def test_scheme_pages_queries_do_not_grow_with_clusters(client, django_assert_max_num_queries):
    def build(clusters: int):
        scheme = ClusterSchemeFactory()
        for _ in range(clusters):
            cluster = ClusterFactory(scheme=scheme)
            for _ in range(2):
                role = RoleFactory()
                RoleClusterFactory(role=role, cluster=cluster)
                RoleQualificationFactory(role=role, is_key=True)
                RoleQualificationFactory(role=role)
        return scheme

    def index_queries(default) -> int:
        ClusterScheme.objects.update(is_default=False)
        ClusterScheme.objects.filter(pk=default.pk).update(is_default=True)
        # banner, schemes with counts, the default scheme's clusters: their number, the
        # page of them, the page's counts
        with django_assert_max_num_queries(5):
            return queries(client, reverse("roles:scheme-index"))

    def detail_queries(scheme) -> int:
        # banner, the scheme, the other schemes, its clusters: their number, the page of
        # them, the page's counts
        with django_assert_max_num_queries(6):
            return queries(client, reverse("roles:scheme-detail", args=[scheme.slug]))

    small, large = build(5), build(25)
    assert index_queries(small) == index_queries(large)
    assert detail_queries(small) == detail_queries(large)


# -- a cluster -------------------------------------------------------------------------


def test_cluster_page_groups_current_roles_by_level_with_their_counts(client):
    scheme = ClusterSchemeFactory(is_default=True)
    cluster = ClusterFactory(scheme=scheme, name="Early Years")
    levels = {
        "Not levelled worker": None,
        "Level three worker": 3,
        "Entry worker": 0,
        "Level one worker": 1,
        "Another level three worker": 3,
    }
    roles = {}
    for title, level in levels.items():
        roles[title] = RoleFactory(title=title, level=level)
        RoleClusterFactory(role=roles[title], cluster=cluster)
    for _ in range(3):
        RoleQualificationFactory(role=roles["Level three worker"])
    RoleQualificationFactory(role=roles["Level three worker"], is_key=True)
    RoleQualificationFactory(role=roles["Entry worker"], is_key=True)
    gone = RoleFactory(title="Archived worker", level=2, status=Role.Status.ARCHIVED)
    RoleClusterFactory(role=gone, cluster=cluster)

    response = client.get(reverse("roles:cluster-detail", args=[scheme.slug, cluster.slug]))

    assert response.status_code == 200
    page = page_text(response)
    order = [
        "Entry level",
        "Entry worker 1 1",
        "Level 1",
        "Level one worker 0 0",
        "Level 3",
        "Another level three worker 0 0",
        "Level three worker 4 1",
        "Not levelled",
        "Not levelled worker 0 0",
    ]
    assert_in_order(page[page.index("5 current roles") :], order)
    assert "Archived worker" not in page and "Level 2" not in page


def test_cluster_page_offers_the_same_roles_clusters_in_other_schemes(client):
    scheme = ClusterSchemeFactory(is_default=True)
    cluster = ClusterFactory(scheme=scheme)
    roles = [RoleFactory() for _ in range(3)]
    for role in roles:
        RoleClusterFactory(role=role, cluster=cluster)
    services = ClusterSchemeFactory(name="By service")
    childhood = ClusterFactory(scheme=services, name="Early childhood services")
    schools = ClusterFactory(scheme=services, name="Schools")
    ClusterFactory(scheme=services, name="Unrelated services")
    RoleClusterFactory(role=roles[0], cluster=childhood)
    RoleClusterFactory(role=roles[1], cluster=childhood)
    RoleClusterFactory(role=roles[2], cluster=schools)
    ClusterSchemeFactory(name="Future reorganisation")

    response = client.get(reverse("roles:cluster-detail", args=[scheme.slug, cluster.slug]))

    page = page_text(response)
    assert "By service Early childhood services (2 of these roles) Schools (1 of these role)" in page
    assert "Unrelated services" not in page
    assert "Future reorganisation None of these roles is in a cluster of this scheme" in page
    assert reverse("roles:cluster-detail", args=[services.slug, schools.slug]) in response.content.decode()


def test_cluster_page_404_for_an_unknown_cluster_or_one_of_another_scheme(client):
    scheme, other = ClusterSchemeFactory(), ClusterSchemeFactory()
    cluster = ClusterFactory(scheme=other)
    assert client.get(reverse("roles:cluster-detail", args=[scheme.slug, cluster.slug])).status_code == 404
    assert client.get(reverse("roles:cluster-detail", args=["nope", cluster.slug])).status_code == 404
    assert client.get(reverse("roles:cluster-detail", args=[other.slug, "nope"])).status_code == 404


def test_cluster_page_queries_do_not_grow_with_roles(client, django_assert_max_num_queries):
    def url(roles: int) -> str:
        scheme = ClusterSchemeFactory()
        cluster = ClusterFactory(scheme=scheme)
        elsewhere = ClusterFactory()
        for i in range(roles):
            role = RoleFactory(level=i % 10 if i % 10 < 9 else None)
            RoleClusterFactory(role=role, cluster=cluster)
            RoleClusterFactory(role=role, cluster=elsewhere if i % 2 else ClusterFactory())
            RoleQualificationFactory(role=role, is_key=True)
            RoleQualificationFactory(role=role)
        return reverse("roles:cluster-detail", args=[scheme.slug, cluster.slug])

    small, large = url(5), url(25)
    # banner, the cluster with its scheme, its roles with counts, the other schemes, their
    # clusters holding these roles
    with django_assert_max_num_queries(5):
        few = queries(client, small)
    with django_assert_max_num_queries(5):
        many = queries(client, large)
    assert few == many


# -- a role ----------------------------------------------------------------------------


def role_page(client, role, **params):
    return client.get(reverse("roles:role-detail", args=[role.slug]), params)


def test_role_page_ladder_groups_qualifications_by_level_with_empty_levels_between(client):
    role = RoleFactory()
    body, kind = AwardingBodyFactory(name="CACHE"), QualificationTypeFactory(name="Test NVQ")
    entry = QualificationFactory(title="Entry award", level=0, awarding_body=body, qualification_type=kind)
    two = QualificationFactory(title="Level two diploma", level=2)
    four = QualificationFactory(title="Level four foundation degree", level=4, withdrawn=True)
    loose = QualificationFactory(title="First aid certificate", level=None)
    for qualification in (entry, two, four, loose):
        RoleQualificationFactory(role=role, qualification=qualification, is_key=qualification is two)
    module = module_covering(2, 3)
    QualificationModuleFactory(qualification=two, module=module, mandatory=False)
    mapped(two, 1)  # own judgement on area 1, a module on 2 and 3: 3 areas, possible coverage
    mapped(loose)  # mapped, covering nothing

    response = role_page(client, role)

    assert response.status_code == 200
    ladder = section(response, "Pathway by level", "Common Core coverage and gaps")
    order = [
        "Entry level",
        "Entry award",
        "Test NVQ",
        "CACHE",
        "Not mapped yet",
        "Level 1",
        "No qualification at this level",
        "Level 2",
        "Level two diploma Key",
        "3 of 6",
        "Level 3",
        "No qualification at this level",
        "Level 4",
        "Level four foundation degree Withdrawn",
        "Not mapped yet",
        "Not levelled",
        "First aid certificate",
        "0 of 6",
    ]
    assert_in_order(ladder, order)
    assert "Level 5" not in ladder
    gaps = section(response, "Levels with no qualification", "Roles a level below")
    assert "has no qualification at: Level 1 Level 3" in gaps


def test_role_page_matrix_says_yes_or_no_and_names_the_gap_areas(client):
    role = RoleFactory()
    strong = QualificationFactory(title="Mapped key diploma")
    QualificationModuleFactory(qualification=strong, module=module_covering(2))
    mapped(strong, 1)
    unmapped = QualificationFactory(title="Unmapped key award")
    QualificationModuleFactory(qualification=unmapped, module=module_covering(3))
    MappingReviewFactory(qualification=unmapped, submitted=True)
    relevant = QualificationFactory(title="Merely relevant certificate")
    mapped(relevant, 4)  # not key: does not close a gap
    RoleQualificationFactory(role=role, qualification=strong, is_key=True)
    RoleQualificationFactory(role=role, qualification=unmapped, is_key=True)
    RoleQualificationFactory(role=role, qualification=relevant, is_key=False)

    response = role_page(client, role)

    matrix = section(response, "Common Core coverage and gaps", "Levels with no qualification")
    assert "Mapped key diploma Yes Yes No No No No" in matrix
    assert "Unmapped key award Not mapped yet: not counted" in matrix
    assert "Merely relevant certificate" not in matrix
    assert "Any mapped key qualification Covered Covered Gap Gap Gap Gap" in matrix
    assert "no mapped key qualification covers 4 areas" in matrix
    for number in (3, 4, 5, 6):
        assert f"{number}. {AREA_TITLES[number]}" in matrix
    for number in (1, 2):
        assert f"{number}. {AREA_TITLES[number]}" not in matrix


def test_role_page_says_why_every_area_is_a_gap(client):
    without_key = RoleFactory()
    RoleQualificationFactory(role=without_key, is_key=False)
    assert "This role has no key qualification, so it misses every area" in page_text(
        role_page(client, without_key)
    )

    none_mapped = RoleFactory()
    for _ in range(2):
        RoleQualificationFactory(role=none_mapped, is_key=True)
    assert "None of this role's 2 key qualifications has been mapped yet" in page_text(
        role_page(client, none_mapped)
    )

    complete = RoleFactory()
    qualification = QualificationFactory()
    mapped(qualification, 1, 2, 3, 4, 5, 6)
    RoleQualificationFactory(role=complete, qualification=qualification, is_key=True)
    assert "No gaps" in page_text(role_page(client, complete))


def test_role_page_shows_roles_at_the_nearest_levels_below_and_above_in_its_clusters(client):
    cluster = ClusterFactory(name="Social Care")
    role = RoleFactory(level=3)
    RoleClusterFactory(role=role, cluster=cluster)
    for title, level, status in [
        ("Level one aide", 1, "current"),
        ("Level two aide", 2, "current"),
        ("Another level two aide", 2, "current"),
        ("Old level two aide", 2, "archived"),
        ("Level five manager", 5, "current"),
        ("Level six director", 6, "current"),
        ("Peer at level three", 3, "current"),
        ("Unlevelled helper", None, "current"),
    ]:
        RoleClusterFactory(role=RoleFactory(title=title, level=level, status=status), cluster=cluster)
    RoleClusterFactory(role=RoleFactory(title="Other cluster's level two", level=2))

    nearby = section(
        role_page(client, role), "Roles a level below and above", "Where to study the key qualifications"
    )

    assert "Below: Level 2 Another level two aide Level two aide" in nearby
    assert "Above: Level 5 Level five manager" in nearby
    for absent in (
        "Level one aide",
        "Old level two aide",
        "Level six director",
        "Peer at level three",
        "Unlevelled helper",
        "Other cluster's",
    ):
        assert absent not in nearby

    unlevelled = RoleFactory(level=None)
    RoleClusterFactory(role=unlevelled, cluster=cluster)
    assert "This role has no level" in page_text(role_page(client, unlevelled))


def test_role_page_lists_providers_of_key_qualifications_filtered_by_region(client):
    role = RoleFactory()
    key = QualificationFactory(title="Key diploma")
    other = QualificationFactory(title="Relevant award")
    RoleQualificationFactory(role=role, qualification=key, is_key=True)
    RoleQualificationFactory(role=role, qualification=other, is_key=False)
    london, north_west = Region.objects.get(slug="london"), Region.objects.get(slug="north-west")
    OfferingFactory(
        provider=ProviderFactory(name="Thameside College", region=london),
        qualification=key,
        course_hours=480,
        mode="part-time",
        cost="1250.00",
    )
    OfferingFactory(
        provider=ProviderFactory(name="Mersey Vale College", region=north_west),
        qualification=key,
        course_hours=520,
        mode="work-based",
        cost=None,
    )
    OfferingFactory(
        provider=ProviderFactory(name="Open Distance Learning", region=None),
        qualification=key,
        course_hours=None,
        mode="distance",
        cost="0",
    )
    OfferingFactory(
        provider=ProviderFactory(name="Closed College", region=london, is_archived=True), qualification=key
    )
    OfferingFactory(
        provider=ProviderFactory(name="Only Relevant College", region=london), qualification=other
    )

    everywhere = section(role_page(client, role), "Where to study the key qualifications")
    assert "Thameside College London Key diploma 480 part-time £1,250.00" in everywhere
    assert "Mersey Vale College North West Key diploma 520 work-based Not known" in everywhere
    assert "Open Distance Learning National or distance Key diploma Not known distance Free" in everywhere
    assert "Closed College" not in everywhere and "Only Relevant College" not in everywhere

    response = role_page(client, role, region="london")
    assert response.status_code == 200
    in_london = section(response, "Where to study the key qualifications")
    assert "Thameside College" in in_london and "Open Distance Learning" in in_london
    assert "Mersey Vale College" not in in_london
    assert '<option value="london" selected>' in response.content.decode()


def test_role_page_400_for_an_unknown_region(client):
    role = RoleFactory()
    RoleQualificationFactory(role=role, is_key=True)
    response = role_page(client, role, region="atlantis")
    assert response.status_code == 400
    page = page_text(response)
    assert "There is a problem" in page
    assert "There is no region “atlantis”: choose one from the list" in page


def test_role_page_links_to_a_role_move_from_and_to_the_role(client):
    role = RoleFactory(slug="teaching-assistant")
    body = role_page(client, role).content.decode()
    assert f'href="{reverse("roles:role-move")}?from=teaching-assistant"' in body
    assert f'href="{reverse("roles:role-move")}?to=teaching-assistant"' in body


def test_archived_role_still_opens_and_says_it_is_archived(client):
    role = RoleFactory(status=Role.Status.ARCHIVED)
    response = role_page(client, role)
    assert response.status_code == 200
    assert "This role is archived" in page_text(response)


def test_role_page_404_for_an_unknown_role(client):
    assert client.get(reverse("roles:role-detail", args=["no-such-role"])).status_code == 404


def test_role_page_queries_do_not_grow_with_qualifications(client, django_assert_max_num_queries):
    regions = list(Region.objects.all())

    def url(size: int) -> str:
        cluster = ClusterFactory()
        role = RoleFactory(level=4)
        RoleClusterFactory(role=role, cluster=cluster)
        for i in range(size):
            qualification = QualificationFactory(
                level=i % 9 if i % 7 else None,
                qualification_type=QualificationTypeFactory(),
                awarding_body=AwardingBodyFactory(),
            )
            RoleQualificationFactory(role=role, qualification=qualification, is_key=i % 2 == 0)
            QualificationModuleFactory(qualification=qualification, module=module_covering(i % 6 + 1))
            if i % 3:
                mapped(qualification, (i + 2) % 6 + 1)
            OfferingFactory(qualification=qualification, provider=ProviderFactory(region=regions[i % 9]))
            RoleClusterFactory(role=RoleFactory(level=i % 9), cluster=cluster)
            if i % 5 == 0:
                RoleClusterFactory(role=role, cluster=ClusterFactory())
        return reverse("roles:role-detail", args=[role.slug])

    small, large = url(5), url(25)
    # banner, role, regions, default framework, areas, the role's qualifications (with key
    # and mapped), their coverage (from the coverage summary), the role's clusters, roles
    # of those clusters, providers of the key qualifications
    for page in (small, large, f"{small}?region=london", f"{large}?region=london"):
        with django_assert_max_num_queries(10):
            assert queries(client, page) == 10


# -- a role move: the selector ---------------------------------------------------------


@dataclass
class World:
    """What the oracle knows: plain sets and dicts, built alongside the factory data."""

    current: Role
    target: Role
    current_key: set[int]
    target_key: set[int]
    mapped: set[int]
    own: dict[int, set[int]]
    members: dict[int, set[int]]
    module_areas: dict[int, set[int]]
    as_module: dict[int, int] = field(default_factory=dict)
    quals: dict[int, Qualification] = field(default_factory=dict)


def random_world(seed: int) -> World:
    rng = random.Random(seed)
    modules = []
    module_areas = {}
    for _ in range(16):
        numbers = set(rng.sample(range(1, 7), rng.randint(0, 2)))
        module = module_covering(*numbers)
        modules.append(module)
        module_areas[module.pk] = numbers
    quals, own, members, is_mapped = {}, {}, {}, set()
    for _ in range(10):
        qualification = QualificationFactory(level=rng.choice([None, 0, 1, 2, 3, 4, 5, 8]))
        quals[qualification.pk] = qualification
        members[qualification.pk] = set()
        for module in rng.sample(modules, rng.randint(0, 5)):
            QualificationModuleFactory(
                qualification=qualification, module=module, mandatory=rng.random() < 0.5
            )
            members[qualification.pk].add(module.pk)
        own[qualification.pk] = set(rng.sample(range(1, 7), rng.randint(0, 1)))
        for number in own[qualification.pk]:
            AttributeFactory(qualification=qualification, area=default_area(number))
        state = rng.choice(["approved", "accepted", "submitted", "none"])
        if state in ("approved", "accepted"):
            MappingReviewFactory(qualification=qualification, **{state: True})
            is_mapped.add(qualification.pk)
        elif state == "submitted":
            MappingReviewFactory(qualification=qualification, submitted=True)
    # One qualification is also a module, part of two other qualifications.
    ids = list(quals)
    whole = ids[0]
    as_module = ModuleFactory(qualification=quals[whole])
    module_areas[as_module.pk] = set()
    for host in ids[1:3]:
        QualificationModuleFactory(qualification=quals[host], module=as_module)
        members[host].add(as_module.pk)

    current, target = RoleFactory(), RoleFactory()
    current_key = set(rng.sample(ids, 3)) | {whole}
    target_key = set(rng.sample(ids, 4))
    if seed % 2:  # both roles hold the qualification that is also a module
        target_key = (target_key - set(ids[1:3])) | {whole}
    else:  # the target's key qualifications include it as a module
        target_key |= set(ids[1:3])
    for pk in current_key:
        RoleQualificationFactory(role=current, qualification=quals[pk], is_key=True)
    for pk in target_key:
        RoleQualificationFactory(role=target, qualification=quals[pk], is_key=True)
    for pk in set(ids) - current_key:  # relevant, not key: never counted
        if rng.random() < 0.5:
            RoleQualificationFactory(role=current, qualification=quals[pk], is_key=False)
    return World(
        current,
        target,
        current_key,
        target_key,
        is_mapped,
        own,
        members,
        module_areas,
        {whole: as_module.pk},
        quals,
    )


def oracle(world: World) -> dict:
    """DESIGN.md §4 role move, in plain Python over the world's facts."""

    def areas_of(pk: int) -> set[int]:
        return world.own[pk] | {n for m in world.members[pk] for n in world.module_areas[m]}

    def covered(key: set[int]) -> set[int]:
        return {n for pk in key if pk in world.mapped for n in areas_of(pk)}

    missing_areas = covered(world.target_key) - covered(world.current_key)
    current_modules = {m for pk in world.current_key for m in world.members[pk]}
    current_modules |= {world.as_module[pk] for pk in world.current_key if pk in world.as_module}
    target_modules = {m for pk in world.target_key for m in world.members[pk]}
    missing_modules = target_modules - current_modules

    def order(pk: int):
        q = world.quals[pk]
        return (q.level is None, q.level if q.level is not None else 0, q.title, q.ref)

    candidates = [
        (
            pk,
            sorted(missing_areas & areas_of(pk)) if pk in world.mapped else [],
            missing_modules & world.members[pk],
        )
        for pk in sorted(world.target_key - world.current_key, key=order)
    ]
    return {
        "missing_areas": sorted(missing_areas),
        "missing_modules": missing_modules,
        "shared_modules": target_modules & current_modules,
        "target_modules": len(target_modules),
        "candidates": candidates,
    }


def compute(current: Role, target: Role) -> moves.RoleMove:
    framework = Framework.objects.default()
    return moves.role_move(current, target, framework, coverage.areas_of(framework))


@pytest.mark.parametrize("seed", range(6))
def test_role_move_agrees_with_a_plain_python_oracle(seed):
    world = random_world(seed)
    expected = oracle(world)

    move = compute(world.current, world.target)

    assert [a.number for a in move.missing_areas] == expected["missing_areas"]
    assert {m.pk for m in move.missing_modules} == expected["missing_modules"]
    assert {m.pk for m in move.shared_modules} == expected["shared_modules"]
    assert move.target_modules == expected["target_modules"]
    assert [
        (c.qualification.pk, [a.number for a in c.areas], {m.pk for m in c.modules}) for c in move.candidates
    ] == expected["candidates"]
    assert move.current_key == len(world.current_key)
    assert move.target_mapped == len(world.target_key & world.mapped)


def test_role_move_overlap_and_candidates_lowest_level_first():
    current, target = RoleFactory(), RoleFactory()
    a, b, c, d = (ModuleFactory(title=f"Unit {letter}") for letter in "abcd")
    held = QualificationFactory(title="Held certificate", level=2)
    for module in (a, b):
        QualificationModuleFactory(qualification=held, module=module)
    mapped(held, 1)
    unlevelled = QualificationFactory(title="Unlevelled course", level=None)
    QualificationModuleFactory(qualification=unlevelled, module=c)
    mapped(unlevelled, 1, 4)
    entry = QualificationFactory(title="Entry award", level=0)
    QualificationModuleFactory(qualification=entry, module=a)
    QualificationModuleFactory(qualification=entry, module=d, mandatory=False)
    mapped(entry, 5)
    level3 = QualificationFactory(title="Level 3 diploma", level=3)  # not mapped
    QualificationModuleFactory(qualification=level3, module=d)
    RoleQualificationFactory(role=current, qualification=held, is_key=True)
    for qualification in (held, unlevelled, entry, level3):
        RoleQualificationFactory(role=target, qualification=qualification, is_key=True)

    move = compute(current, target)

    # the target's modules a, b, c, d; the current role holds a and b: 2 of 4 shared
    assert [m.title for m in move.shared_modules] == ["Unit a", "Unit b"]
    assert [m.title for m in move.missing_modules] == ["Unit c", "Unit d"]
    assert move.overlap_percent == 50
    assert [a.number for a in move.missing_areas] == [4, 5]
    assert [
        (c.qualification.title, [a.number for a in c.areas], [m.title for m in c.modules], c.mapped)
        for c in move.candidates
    ] == [
        ("Entry award", [5], ["Unit d"], True),
        ("Level 3 diploma", [], ["Unit d"], False),
        ("Unlevelled course", [4], ["Unit c"], True),
    ]


def test_role_move_with_no_target_modules_has_no_overlap_figure():
    current, target = RoleFactory(), RoleFactory()
    RoleQualificationFactory(role=target, is_key=True)
    move = compute(current, target)
    assert move.target_modules == 0 and move.overlap_percent is None
    assert len(move.candidates) == 1 and move.missing_areas == []


# -- a role move: the page -------------------------------------------------------------


def move_page(client, **params):
    return client.get(reverse("roles:role-move"), params)


def test_role_move_page_shows_what_the_move_needs(client):
    current = RoleFactory(title="Teaching assistant", slug="teaching-assistant")
    target = RoleFactory(title="Playworker", slug="playworker")
    shared, play = ModuleFactory(title="Safe play spaces"), ModuleFactory(title="Play cues")
    held = QualificationFactory(title="Supporting teaching award", level=2)
    QualificationModuleFactory(qualification=held, module=shared)
    mapped(held, 1, 3)
    wanted = QualificationFactory(title="Playwork diploma", level=3)
    for module in (shared, play):
        QualificationModuleFactory(qualification=wanted, module=module)
    mapped(wanted, 1, 4)
    RoleQualificationFactory(role=current, qualification=held, is_key=True)
    RoleQualificationFactory(role=target, qualification=wanted, is_key=True)

    response = move_page(client, **{"from": "teaching-assistant", "to": "playworker"})

    assert response.status_code == 200
    page = page_text(response)
    assert "From Teaching assistant to Playworker" in page
    assert "cover 1 area that the current role's do not: 4. Supporting transitions" in page
    assert "4. Transitions No Yes To gain" in page
    assert "1 of the 2 modules of the target role's key qualifications is not part" in page
    assert "50% overlap: 1 of the 2 modules" in page
    assert "Playwork diploma Level 3 1: Transitions 1" in page
    body = response.content.decode()
    assert 'name="from" type="text" value="Teaching assistant"' in body
    assert 'name="to" type="text" value="Playworker"' in body


def test_role_move_empty_form_and_one_role_chosen_are_200(client):
    role = RoleFactory(title="Childminder", slug="childminder")
    empty = move_page(client)
    assert empty.status_code == 200 and "There is a problem" not in page_text(empty)
    only_from = move_page(client, **{"from": role.slug})
    assert only_from.status_code == 200
    assert "Choose the target role to see what a move from Childminder needs" in page_text(only_from)
    only_to = move_page(client, to=role.slug)
    assert "Choose the current role to see what a move into Childminder needs" in page_text(only_to)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"from": "nobody", "to": "childminder"},
            "No role title contains “nobody”: check the spelling or type fewer words of the current role",
        ),
        (
            {"from": "childminder", "to": "nobody"},
            "No role title contains “nobody”: check the spelling or type fewer words of the target role",
        ),
        ({"from": "childminder", "to": "childminder"}, "Choose two different roles: both are Childminder"),
        ({"from": "", "to": ""}, "Choose the current role"),
    ],
)
def test_role_move_400_with_a_clear_message_for_bad_choices(client, params, message):
    RoleFactory(title="Childminder", slug="childminder")
    response = move_page(client, **params)
    assert response.status_code == 400
    page = page_text(response)
    assert "There is a problem" in page and message in page
    assert "From Childminder" not in page


def test_role_move_queries_do_not_grow_with_qualifications(client, django_assert_max_num_queries):
    def url(size: int) -> str:
        current, target = RoleFactory(), RoleFactory()
        for i in range(size):
            qualification = QualificationFactory(level=i % 9)
            for _ in range(2):
                QualificationModuleFactory(qualification=qualification, module=module_covering(i % 6 + 1))
            if i % 2:
                mapped(qualification, i % 6 + 1)
            RoleQualificationFactory(role=target, qualification=qualification, is_key=True)
            if i % 3 == 0:
                RoleQualificationFactory(role=current, qualification=qualification, is_key=True)
        return f"{reverse('roles:role-move')}?from={current.slug}&to={target.slug}"

    small, large = url(5), url(25)
    # banner, the current role, the target role, default framework, areas, both roles' key links
    # (with mapped), coverage (own judgements, through modules), the key qualifications'
    # modules
    for page in (small, large):
        with django_assert_max_num_queries(8):
            assert queries(client, page) == 8
