"""The public qualification, module, finder and provider pages, as a manager sees them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from qualifications.models import Region
from tests.support.factories import (
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
)
from tests.support.qualification_pages import (
    count_queries,
    detail_url,
    finder,
    hrefs,
    result_titles,
    row_with,
    rows,
    text,
)

pytestmark = pytest.mark.django_db


# -- the provider directory ------------------------------------------------------------


def test_directory_groups_providers_by_region_in_order_with_their_offer(client):
    south_west = Region.objects.get(slug="south-west")
    north_east = Region.objects.get(slug="north-east")
    ProviderFactory(name="Aardvark College", region=south_west)
    tyne = ProviderFactory(name="Zed Tyne College", region=north_east)
    ProviderFactory(name="Open Learning")
    ProviderFactory(name="Gone College", region=north_east, is_archived=True)
    qualification = QualificationFactory(title="Level 3 Diploma in Youth Work", level=3)
    OfferingFactory(
        provider=tyne, qualification=qualification, course_hours=360, mode="part-time", cost=Decimal("980.5")
    )

    response = client.get(reverse("qualifications:provider-directory"))

    assert response.status_code == 200
    page = text(response)
    assert (
        page.index("North East Zed Tyne College")
        < page.index("South West Aardvark College")
        < page.index("National or distance providers Open Learning")
    )
    assert "Gone College" not in page
    assert row_with(response, "Youth Work") == "Level 3 Diploma in Youth Work Level 3 Part-time 360 £980.50"
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
    assert "London provider 11" in text(client.get(reverse("qualifications:provider-directory") + second[0]))
    assert (
        client.get(reverse("qualifications:provider-directory") + "?region=london&page=3").status_code == 404
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("region=mars", "Region: Choose one of the English regions"),
        ("page=x", "Page: “x” is not a page number"),
    ],
)
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


@pytest.mark.parametrize(
    "name",
    [
        "q",
        "level",
        "status",
        "type",
        "awarding_body",
        "scheme",
        "cluster",
        "role",
        "framework",
        "area",
        "coverage",
        "key",
        "region",
        "sort",
        "page",
    ],
)
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
