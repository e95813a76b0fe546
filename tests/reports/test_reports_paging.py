"""The report pages show the main table 100 rows a page; the CSV holds every row, streamed.

A page of a long table says how many rows there are and that the downloads hold them all;
its page links keep the report's parameters; a bad page value is a 400 and a page past the
last a 404. Reading every page in turn gives exactly the CSV's rows. The CSV's rows are
produced from the database as the response is read, by a fixed number of queries.
"""

import csv
import io
import re

import pytest
from django.db import connection
from django.http import QueryDict, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from reports import views
from reports.base import Rows
from reports.params import read_params
from reports.registry import REPORTS
from roles.models import ClusterScheme
from tests.support.factories import (
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    QualificationFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.support.pages import page_text, tables_of

pytestmark = pytest.mark.django_db

PER_PAGE = 100


def csv_rows(client, path: str, **query) -> list[list[str]]:
    response = client.get(path, query)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))


def next_link(html: str) -> str | None:
    found = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def every_page(client, path: str, query: str = "") -> list[list[list[str]]]:
    """The main table's rows page by page, following each page's "Next" link."""
    pages = []
    url: str | None = f"{path}?{query}"
    while url is not None:
        response = client.get(url if url.startswith("/") else path + url)
        assert response.status_code == 200, url
        pages.append(tables_of(response)[0]["rows"])
        url = next_link(response.content.decode())
    return pages


def grow(clusters: int, roles_per_cluster: int) -> None:
    """Clusters of the default scheme, each with roles linked to a mapped qualification (key)
    and an unmapped one, at levels that vary."""
    scheme = ClusterSchemeFactory(is_default=True, name="Workforce", slug="workforce")
    for c in range(clusters):
        cluster = ClusterFactory(scheme=scheme, name=f"Cluster {c:03d}", slug=f"cluster-{c:03d}")
        for r in range(roles_per_cluster):
            role = RoleFactory(title=f"Role {c:03d}-{r:03d}")
            RoleClusterFactory(role=role, cluster=cluster)
            mapped = QualificationFactory(level=(c + r) % 9)
            MappingReviewFactory(qualification=mapped, approved=True)
            AttributeFactory(qualification=mapped, area=default_area(1 + r % 6))
            RoleQualificationFactory(role=role, qualification=mapped, is_key=True)
            RoleQualificationFactory(role=role, qualification=QualificationFactory(level=r % 3), is_key=False)


@pytest.fixture
def long_world():
    """Two clusters: 120 roles in one, 3 in the other. Provision has 120 + 1 + 3 + 1 + 1 =
    126 rows, role gaps 123: two pages each."""
    grow(1, 120)
    cluster = ClusterFactory(
        scheme=ClusterScheme.objects.get(is_default=True), name="Cluster zz", slug="cluster-zz"
    )
    for r in range(3):
        role = RoleFactory(title=f"Other {r}")
        RoleClusterFactory(role=role, cluster=cluster)
        RoleQualificationFactory(role=role, qualification=QualificationFactory(level=3), is_key=True)


@pytest.mark.parametrize(("name", "count"), [("provision", 126), ("role-gaps", 123)])
def test_a_long_table_shows_100_rows_and_says_how_many_the_downloads_hold(client, long_world, name, count):
    response = client.get(f"/reports/{name}/")
    assert response.status_code == 200
    assert len(tables_of(response)[0]["rows"]) == PER_PAGE
    text = page_text(response)
    assert f"The table below has {count} rows, 100 a page: this is page 1 of 2, rows 1 to 100." in text
    assert f"The CSV and XLSX downloads hold all {count} rows." in text
    assert len(csv_rows(client, f"/reports/{name}.csv")) == count + 1  # with its header


@pytest.mark.parametrize("name", ["provision", "role-gaps", "coverage", "level-gaps"])
@pytest.mark.parametrize("query", ["", "level=3", "key_only=yes&coverage=guaranteed"])
def test_every_page_in_turn_is_exactly_the_csv(client, long_world, name, query):
    pages = every_page(client, f"/reports/{name}/", query)
    _, *rows = csv_rows(client, f"/reports/{name}.csv", **QueryDict(query).dict())
    assert [row for page in pages for row in page] == rows
    assert all(len(page) == PER_PAGE for page in pages[:-1])
    assert len(pages) == max(1, -(-len(rows) // PER_PAGE))


def test_subtotals_stay_bold_on_a_later_page(client, long_world):
    html = client.get("/reports/provision/", {"page": "2"}).content.decode()
    bold = re.findall(r'<tr class="govuk-table__row iqf-total">\s*<td[^>]*>([^<]*)</td>', html)
    assert bold == ["Cluster 000", "Cluster zz", "All clusters"]


def test_page_links_keep_the_report_parameters(client, long_world):
    html = client.get("/reports/provision/", {"key_only": "no"}).content.decode()
    links = set(re.findall(r'class="govuk-link govuk-pagination__link" href="([^"]+)"', html))
    assert links == {"?key_only=no&amp;page=1", "?key_only=no&amp;page=2"}
    # the downloads of a later page hold every row: their links carry no page
    later = client.get("/reports/provision/", {"key_only": "no", "page": "2"}).content.decode()
    assert 'href="/reports/provision.csv?key_only=no"' in later
    assert 'href="/reports/provision.xlsx?key_only=no"' in later


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "٣", "1e3"])
def test_a_bad_page_value_is_a_400_naming_it(client, long_world, page):
    response = client.get("/reports/provision/", {"page": page})
    assert response.status_code == 400
    assert "is not a page number" in page_text(response)


@pytest.mark.parametrize(("name", "last"), [("provision", 2), ("level-gaps", 1), ("shared-modules", 1)])
def test_a_page_past_the_last_is_a_404(client, long_world, name, last):
    assert client.get(f"/reports/{name}/", {"page": str(last)}).status_code == 200
    assert client.get(f"/reports/{name}/", {"page": str(last + 1)}).status_code == 404


def test_an_empty_table_has_its_one_page(client):
    ClusterSchemeFactory(is_default=True)
    response = client.get("/reports/provision/", {"page": "1"})
    assert response.status_code == 200
    assert client.get("/reports/provision/", {"page": "2"}).status_code == 404


def test_the_downloads_ignore_the_page(client, long_world):
    assert csv_rows(client, "/reports/provision.csv", page="2") == csv_rows(client, "/reports/provision.csv")
    assert client.get("/reports/provision.xlsx", {"page": "nonsense"}).status_code == 200


def test_a_heatmap_of_the_clusters_draws_the_clusters_of_the_page(client):
    grow(105, 1)
    first = client.get("/reports/over-provision/").content.decode()
    second = client.get("/reports/over-provision/", {"page": "2"}).content.decode()
    # the chart's row labels are the clusters of the table's page
    assert 'text-anchor="end" font-size="14" fill="#0b0c0c">Cluster 099</text>' in first
    assert "Cluster 100</text>" not in first
    assert 'text-anchor="end" font-size="14" fill="#0b0c0c">Cluster 100</text>' in second
    assert "Cluster 099</text>" not in second
    assert "rows 101 to 105 of 105" in page_text(client.get("/reports/over-provision/?page=2"))


# -- streaming ------------------------------------------------------------------------------


LONG = ["provision", "coverage", "role-gaps"]


@pytest.mark.parametrize("name", LONG)
def test_the_main_table_rows_are_produced_lazily_each_time_they_are_read(long_world, name):
    params, _ = read_params(QueryDict(""))
    with CaptureQueriesContext(connection) as built:
        result = REPORTS[name].build(params)
    rows = result.main.rows
    assert isinstance(rows, Rows)
    with CaptureQueriesContext(connection) as read:
        iterator = iter(rows)
        assert not hasattr(iterator, "__len__")
        first = next(iterator)
    assert len(read) >= 1  # the rows are asked for only when read
    assert first == next(iter(rows))
    assert len(built) <= 8


@pytest.mark.parametrize("name", LONG)
def test_the_csv_streams_rows_from_the_database_as_it_is_read(client, long_world, name):
    with CaptureQueriesContext(connection) as before:
        response = client.get(f"/reports/{name}.csv")
    assert isinstance(response, StreamingHttpResponse)
    with CaptureQueriesContext(connection) as reading:
        chunks = iter(response.streaming_content)
        header = next(chunks)
        assert header.startswith(b"cluster" if name != "coverage" else b"ref")
        rest = list(chunks)
    # the rows' own query runs while the response is read, not before it is returned
    assert len(reading) >= 1, [q["sql"] for q in before.captured_queries]
    assert sum(chunk.count(b"\r\n") for chunk in rest) > PER_PAGE
    if connection.vendor == "postgresql":
        # a server-side cursor: the rows arrive a chunk at a time
        assert any(q["sql"].startswith("DECLARE") for q in reading.captured_queries)


@pytest.mark.parametrize("name", LONG)
def test_the_csv_is_sent_in_chunks_of_whole_rows(client, long_world, name, monkeypatch):
    monkeypatch.setattr(views, "CSV_CHUNK", 1000)
    response = client.get(f"/reports/{name}.csv")
    chunks = list(response.streaming_content)
    whole = b"".join(chunks)
    longest_row = max(len(line) for line in whole.split(b"\r\n")) + 2
    assert len(chunks) > 3
    # each chunk ends at the end of a row, and holds little more than the chunk size
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
    assert all(len(chunk) < 1000 + longest_row for chunk in chunks)
    monkeypatch.undo()  # the same bytes in chunks of the usual size
    assert whole == b"".join(client.get(f"/reports/{name}.csv").streaming_content)


def _csv_queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/reports/{name}.csv")
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", LONG)
def test_the_csv_queries_do_not_grow_with_its_rows(client, name):
    # parameters (scheme, framework, areas), then the report's grouped queries and its
    # streamed rows: the same number for 20 rows and for 260
    grow(2, 10)
    small = _csv_queries(client, name)
    for c in range(2, 4):
        cluster = ClusterFactory(
            scheme=ClusterScheme.objects.get(is_default=True), name=f"More {c}", slug=f"more-{c}"
        )
        for r in range(120):
            role = RoleFactory(title=f"More {c}-{r:03d}")
            RoleClusterFactory(role=role, cluster=cluster)
            mapped = QualificationFactory(level=r % 9)
            MappingReviewFactory(qualification=mapped, approved=True)
            RoleQualificationFactory(role=role, qualification=mapped, is_key=r % 2 == 0)
    assert _csv_queries(client, name) == small
    assert small <= 10
