"""Public pages are served from the page cache until the content changes, by whatever route
it changes, and never afterwards (iqf.lib.pagecache).

The tests commit for real (a write inside a test's own transaction never commits, so would
never move the counter on): each starts from an empty page cache and the counter's row."""

import csv
from urllib.parse import quote

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from iqf.lib.pagecache import changes_content
from iqf.lib.paging import PER_PAGE
from qualifications import services
from qualifications.models import Qualification, QualificationType
from tests.support.factories import (
    ClusterFactory,
    ClusterSchemeFactory,
    ModuleFactory,
    OfferingFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleClusterFactory,
    RoleQualificationFactory,
    UserFactory,
)
from tests.support.qualification_pages import checkbox_counts, result_titles


@pytest.fixture(autouse=True)
def page_cache(settings, migrated_transactional_db):
    settings.PAGE_CACHE = True
    caches["pages"].clear()
    yield
    caches["pages"].clear()


def version() -> int:
    # read straight from the table, not through the module under test
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM commoncore_contentversion")
        return cursor.fetchone()[0]


def get(client, url: str) -> tuple[int, bytes, int]:
    """Status, body and the number of queries the request ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, len(queries)


@pytest.mark.parametrize(
    ("sql", "changes"),
    [
        ('INSERT INTO "qualifications_qualification" ("ref") VALUES (%s)', True),
        ('UPDATE "roles_role" SET "title" = %s', True),
        ('DELETE FROM "commoncore_attribute" WHERE "id" IN (1)', True),
        ('INSERT OR IGNORE INTO "roles_rolecluster" VALUES (1)', True),
        ("  insert into commoncore_qualificationcoverage select 1", True),
        ('TRUNCATE "qualifications_module"', True),
        ('SELECT "id" FROM "qualifications_qualification"', False),
        ('UPDATE "django_session" SET "expire_date" = %s', False),
        ('UPDATE "auth_user" SET "last_login" = %s', False),
        ('INSERT INTO "axes_accessattempt" ("username") VALUES (%s)', False),
        ('INSERT INTO "django_admin_log" ("action_flag") VALUES (1)', False),
        ("UPDATE commoncore_contentversion SET version = version + 1", False),
    ],
)
def test_which_statements_change_the_content(sql, changes):
    assert changes_content(sql) is changes


def test_a_page_asked_for_again_is_served_from_the_cache(client):
    qualification = QualificationFactory(title="Diploma in Outdoor Play")
    url = f"/qualifications/{quote(qualification.ref)}/"
    status, first, rendering = get(client, url)
    assert status == 200 and b"Diploma in Outdoor Play" in first
    assert rendering > 1
    status, again, queries = get(client, url)
    # one query: the counter
    assert (status, again, queries) == (200, first, 1)
    assert client.head(url).status_code == 200


def _save(q: Qualification) -> None:
    q.title = "Renamed diploma"
    q.save()


def _update(q: Qualification) -> None:
    Qualification.objects.filter(pk=q.pk).update(title="Renamed diploma")


def _raw_sql(q: Qualification) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE qualifications_qualification SET title = %s WHERE id = %s", ["Renamed diploma", q.pk]
        )


def _in_a_transaction(q: Qualification) -> None:
    with transaction.atomic():
        ModuleFactory.create_batch(5)
        with transaction.atomic():
            _save(q)


def _service(q: Qualification) -> None:
    services.qualification_withdraw(qualification=q)


@pytest.mark.parametrize("write", [_save, _update, _raw_sql, _in_a_transaction, _service])
def test_every_route_of_writing_ends_the_cached_page(client, write):
    qualification = QualificationFactory(title="Diploma in Outdoor Play")
    url = f"/qualifications/{quote(qualification.ref)}/"
    _, before, _ = get(client, url)
    counted = version()
    write(qualification)
    assert version() > counted
    status, after, queries = get(client, url)
    assert status == 200 and after != before and queries > 1
    fresh = Qualification.objects.get(pk=qualification.pk)
    assert fresh.title.encode() in after


def test_a_transaction_moves_the_counter_on_once():
    qualification = QualificationFactory()
    counted = version()
    _in_a_transaction(qualification)
    assert version() == counted + 1


def test_a_bulk_insert_ends_the_cached_list(client):
    QualificationFactory(title="Diploma in Outdoor Play")
    _, before, _ = get(client, "/qualifications/")
    Qualification.objects.bulk_create(
        [Qualification(ref=f"B{n}", title=f"Certificate in Bulk {n}") for n in range(3)]
    )
    _, after, _ = get(client, "/qualifications/")
    assert b"Certificate in Bulk 2" in after and b"Certificate in Bulk 2" not in before


def test_an_admin_save_ends_the_cached_page(client, admin_client):
    from tests.support.pages import form_data

    qualification = QualificationFactory(title="Diploma in Outdoor Play")
    url = f"/qualifications/{quote(qualification.ref)}/"
    get(client, url)
    change = f"/admin/qualifications/qualification/{qualification.pk}/change/"
    data = form_data(admin_client.get(change))
    data["title"] = "Diploma in Forest Play"
    assert admin_client.post(change, data).status_code == 302
    _, after, _ = get(client, url)
    assert b"Diploma in Forest Play" in after


def _abandoned_savepoint(qualification: Qualification) -> None:
    try:
        with transaction.atomic():
            _save(qualification)
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass


def test_a_rolled_back_write_keeps_the_cached_page(client):
    qualification = QualificationFactory(title="Diploma in Outdoor Play")
    url = f"/qualifications/{quote(qualification.ref)}/"
    _, before, _ = get(client, url)
    counted = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        _save(qualification)
        raise RuntimeError("abandoned")
    # a rolled-back savepoint drops its increment; the transaction's later write adds one
    with transaction.atomic():
        _abandoned_savepoint(qualification)
    assert version() == counted
    assert get(client, url) == (200, before, 1)
    with transaction.atomic():
        _abandoned_savepoint(qualification)
        ModuleFactory()
    assert version() == counted + 1


def test_writes_no_page_shows_keep_the_cache(client):
    UserFactory()
    counted = version()
    user = UserFactory.build()
    user.save()
    session = SessionStore()
    session["seen"] = 1
    session.create()
    assert version() == counted


def test_answers_other_than_200_are_not_kept(client):
    assert client.get("/qualifications/Q-LATER/").status_code == 404
    QualificationFactory(ref="Q-LATER", title="Diploma arriving later")
    status, body, _ = get(client, "/qualifications/Q-LATER/")
    assert status == 200 and b"Diploma arriving later" in body
    assert client.get("/reports/coverage/?level=99").status_code == 400
    assert client.get("/reports/coverage/?level=99").status_code == 400


def test_different_query_strings_are_different_pages(client):
    QualificationFactory(title="Diploma in Outdoor Play")
    QualificationFactory(title="Award in Indoor Games")
    _, outdoor, _ = get(client, "/qualifications/?q=Outdoor")
    _, indoor, _ = get(client, "/qualifications/?q=Indoor")
    assert b"Diploma in Outdoor Play" in outdoor and b"Diploma in Outdoor Play" not in indoor
    assert b"Award in Indoor Games" in indoor


def test_every_public_page_type_is_kept(client):
    scheme = ClusterSchemeFactory(is_default=True)
    cluster = ClusterFactory(scheme=scheme)
    membership = QualificationModuleFactory()
    qualification, module = membership.qualification, membership.module
    link = RoleQualificationFactory(qualification=qualification, is_key=True)
    other = RoleQualificationFactory(is_key=True)
    RoleClusterFactory(role=link.role, cluster=cluster)
    OfferingFactory(qualification=qualification)
    urls = [
        "/",
        "/clusters/",
        f"/clusters/{scheme.slug}/",
        f"/clusters/{scheme.slug}/{cluster.slug}/",
        f"/roles/{link.role.slug}/",
        f"/role-move/?from={other.role.slug}&to={link.role.slug}",
        "/qualifications/",
        f"/qualifications/?cluster={cluster.slug}",
        f"/qualifications/{quote(qualification.ref)}/",
        f"/modules/{quote(module.ref)}/",
        "/providers/",
        "/common-core/",
        "/reports/",
        "/reports/coverage/",
    ]
    for url in urls:
        status, first, _ = get(client, url)
        assert status == 200, url
        assert get(client, url) == (200, first, 1), url


def counted(client, url: str) -> tuple[dict[str, int], list[str], int]:
    """The finder's level counts, its result titles and how many of its queries counted
    qualifications (as the level, awarding body and region facets do)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    counting = sum(
        'COUNT("qualifications_qualification"."id")' in query["sql"] for query in queries.captured_queries
    )
    return checkbox_counts(response, "level"), result_titles(response), counting


def test_every_page_and_order_of_a_search_shares_its_facet_counts(client):
    QualificationFactory.create_batch(PER_PAGE + 5, level=3)
    QualificationFactory.create_batch(3, level=2)
    QualificationFactory(level=2, withdrawn=True)

    first_counts, first_titles, first_counting = counted(client, "/qualifications/?level=3")
    counts, titles, counting = counted(client, "/qualifications/?level=3&page=2&sort=level")
    other_counts, _, other_counting = counted(client, "/qualifications/?level=2")

    current = Qualification.objects.filter(status=Qualification.Status.CURRENT)
    expected = {str(level): current.filter(level=level).count() for level in (2, 3)}
    assert {k: first_counts[k] for k in expected} == expected == {k: counts[k] for k in expected}
    assert first_counting > 0 and other_counting > 0  # a new search is counted
    assert counting == 0  # its next page, in another order, is not
    assert len(titles) == 5 and not set(titles) & set(first_titles)
    assert other_counts == first_counts  # level counts set the level choice aside


def test_facet_counts_are_counted_again_once_the_content_changes(client):
    QualificationFactory.create_batch(PER_PAGE + 1, level=3)
    QualificationFactory(level=2)
    before, _, _ = counted(client, "/qualifications/?level=3")

    QualificationFactory(level=2)
    after, _, counting = counted(client, "/qualifications/?level=3&page=2")

    assert before["2"] == 1
    assert after["2"] == Qualification.objects.filter(level=2).count() == 2
    assert counting > 0


def test_a_finder_page_kept_with_its_counts_reads_the_counter_once(client, settings):
    QualificationFactory(level=3)
    settings.PAGE_CACHE = False
    _, _, rendered = get(client, "/qualifications/?level=3")
    settings.PAGE_CACHE = True
    _, _, kept = get(client, "/qualifications/?level=3")
    assert kept == rendered + 1


def test_facet_counts_are_counted_for_every_page_when_the_cache_is_off(client, settings):
    settings.PAGE_CACHE = False
    QualificationFactory.create_batch(PER_PAGE + 1, level=3)
    counted(client, "/qualifications/?level=3")
    _, _, counting = counted(client, "/qualifications/?level=3&page=2")
    assert counting > 0


def test_downloads_are_not_kept(client):
    QualificationFactory()
    get(client, "/reports/coverage.csv")
    _, _, queries = get(client, "/reports/coverage.csv")
    assert queries > 1


def test_off_means_every_request_renders(client, settings):
    settings.PAGE_CACHE = False
    QualificationFactory()
    get(client, "/qualifications/")
    _, _, queries = get(client, "/qualifications/")
    assert queries > 1


def test_a_bundle_import_ends_the_cached_page(client, tmp_path):
    # on PostgreSQL the import writes new rows by COPY, past the connection's watch
    from bundles.services import bundle_import
    from bundles.writer import bundle_export

    QualificationFactory(title="Diploma in Outdoor Play")
    _, before, _ = get(client, "/qualifications/")
    bundle_export(path=tmp_path)
    sheet = tmp_path / "qualifications.csv"
    with sheet.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    rows.append({**rows[0], "ref": "Q-NEW", "title": "Diploma in Forest Play"})
    with sheet.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    counted = version()
    bundle_import(path=tmp_path)
    assert version() == counted + 1
    _, after, _ = get(client, "/qualifications/")
    assert b"Diploma in Forest Play" in after and b"Diploma in Forest Play" not in before


def test_rows_written_by_the_bulk_writer_end_the_cached_page():
    # PostgreSQL: COPY through the driver's own cursor, which only the writer can report
    from bundles.bulk import create_with_history

    counted = version()
    with transaction.atomic():
        create_with_history([QualificationType(name="Bulk-written award")])
    assert version() == counted + 1
