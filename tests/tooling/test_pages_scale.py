"""Every public page type runs the same number of queries on generated data at the source's
size and at three times it (DESIGN.md §7: no page runs a query per row), and answers 200."""

from io import StringIO
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from commoncore import coverage
from commoncore.models import Framework
from qualifications.models import Qualification
from roles.models import ClusterScheme, Role
from tests.support.generated import wipe_generated
from tooling.bench.targets import page_targets

pytestmark = pytest.mark.django_db


def urls() -> dict[str, str]:
    """The benchmark's busiest case of each page type, and the pages' other states."""
    found = {t.name: t.url for t in page_targets()}
    # a move between two roles whose key qualifications are mapped, so that every part of
    # the comparison is asked for in both data sets
    mapped = coverage.mapped_ids(Framework.objects.default())
    current, target = (
        Role.objects.filter(qualification_links__is_key=True, qualification_links__qualification__in=mapped)
        .annotate(n=Count("pk"))
        .order_by("-n", "pk")[:2]
    )
    found["role move"] = f"/role-move/?from={current.slug}&to={target.slug}"
    # a role with every part of its page filled in both data sets (a role without a mapped
    # qualification skips the coverage query, one without a cluster its neighbours)
    role = (
        Role.objects.filter(
            qualification_links__is_key=True,
            cluster_links__isnull=False,
            qualification_links__qualification__in=mapped,
        )
        .order_by("pk")
        .first()
    )
    found["role"] = f"/roles/{role.slug}/"
    scheme = ClusterScheme.objects.get(is_default=True)
    role = Role.objects.order_by("pk").first()
    word = role.title.split()[0]
    # a word of a qualification's title, so that the search finds results in both
    title = Qualification.objects.filter(pk__in=mapped).order_by("pk").first().title
    found.update(
        {
            "scheme": f"/clusters/{scheme.slug}/",
            "cluster search": f"/clusters/{scheme.slug}/?q={quote(word)}",
            "finder, no filter": "/qualifications/",
            "finder search": f"/qualifications/?q={quote(title.split()[-1])}",
            "finder, cluster": "/qualifications/?cluster=" + found["cluster"].rstrip("/").rsplit("/", 1)[1],
            "role move search step": f"/role-move/?from={quote(word)}&to={role.slug}",
            "providers in a region": "/providers/?region=london",
        }
    )
    return found


def query_counts(client) -> dict[str, int]:
    counts = {}
    for name, url in urls().items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(captured)
    return counts


def generate(scale: float) -> None:
    call_command("generate_data", scale=scale, seed=1, no_progress=True, stdout=StringIO())


def test_every_page_type_runs_as_many_queries_on_three_times_the_data(client):
    generate(1)
    small = query_counts(client)
    wipe_generated()
    get_user_model().objects.all().delete()
    generate(3)
    large = query_counts(client)
    assert small == large
