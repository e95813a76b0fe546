"""The home page, the framework pages and what every public page shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bundles.models import BundleImport
from roles.models import Role
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
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def default_scheme():
    return ClusterSchemeFactory(is_default=True)


def cluster_with(scheme, roles: int, qualifications_per_role: int):
    cluster = ClusterFactory(scheme=scheme)
    for _ in range(roles):
        role = RoleFactory()
        RoleClusterFactory(role=role, cluster=cluster)
        for _ in range(qualifications_per_role):
            RoleQualificationFactory(role=role)
    return cluster


def test_home_lists_the_default_scheme_clusters_with_distinct_counts(client):
    scheme = default_scheme()
    early = cluster_with(scheme, roles=2, qualifications_per_role=1)
    shared = QualificationFactory()
    for role in Role.objects.filter(cluster_links__cluster=early):
        RoleQualificationFactory(role=role, qualification=shared)  # counted once
    archived = RoleFactory(status=Role.Status.ARCHIVED)
    RoleClusterFactory(role=archived, cluster=early)
    RoleQualificationFactory(role=archived)  # an archived role's links do not count
    ClusterFactory(scheme=ClusterSchemeFactory(), name="Elsewhere")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    page = page_text(response)
    # 2 current roles; their own qualification each plus the shared one
    assert f"{early.name} 2 3" in page
    assert "Elsewhere" not in page


def test_home_counts_mapped_qualifications_covering_each_area(client):
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module, area=default_area(4))
    mapped_via_module = QualificationModuleFactory(module=module).qualification
    MappingReviewFactory(qualification=mapped_via_module, approved=True)
    mapped_itself = QualificationFactory()
    AttributeFactory(qualification=mapped_itself, area=default_area(1))
    MappingReviewFactory(qualification=mapped_itself, accepted=True)
    unmapped = QualificationModuleFactory(module=module).qualification
    MappingReviewFactory(qualification=unmapped, submitted=True)

    page = page_text(client.get(reverse("home")))

    assert "How many of the 2 mapped qualifications" in page
    assert (
        "1. Effective communication and engagement with children, young people, their "
        "families and carers 1 50%" in page
    )
    assert "4. Supporting transitions 1 50%" in page
    assert "2. Child and young person development 0 0%" in page


def test_home_queries_do_not_grow_with_clusters(client):
    def count(clusters: int) -> int:
        scheme = default_scheme()
        for _ in range(clusters):
            cluster_with(scheme, roles=2, qualifications_per_role=2)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        scheme.clusters.all().delete()
        scheme.delete()
        return len(queries)

    small, large = count(5), count(25)
    # banner, default scheme (with its number of clusters), the largest clusters with
    # counts, default framework, areas, mapped counts (mapped, then covering each area)
    assert small == large <= 7


def test_demonstration_banner_shows_only_while_demonstration_data_is_loaded(client):
    assert "Demonstration data" not in page_text(client.get(reverse("home")))
    BundleImport.objects.create(name="live", created=3)
    assert "Demonstration data" not in page_text(client.get(reverse("home")))
    BundleImport.objects.create(name="demo", created=3, demonstration=True)
    assert "Demonstration data" in page_text(client.get(reverse("home")))


def test_home_refuses_a_post(client):
    assert client.post(reverse("home")).status_code == 405


def test_framework_page_lists_areas_and_elements_of_the_2010_edition(client):
    response = client.get(reverse("commoncore:framework"))
    assert response.status_code == 200
    assert "6. Sharing information" in page_text(response)
    from commoncore.models import Framework

    edition = (
        Framework.objects.exclude(is_default=True).filter(areas__elements__isnull=False).distinct().first()
    )
    response = client.get(reverse("commoncore:framework-detail", args=[edition.slug]))
    element = edition.areas.first().elements.first()
    assert response.status_code == 200
    assert element.title in response.content.decode()


def test_framework_page_404_for_an_unknown_framework(client):
    response = client.get(reverse("commoncore:framework-detail", args=["no-such"]))
    assert response.status_code == 404
