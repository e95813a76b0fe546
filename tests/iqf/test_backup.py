"""The restore drill: back up, change data, restore, and every table is as it was.

Runs on whichever database the suite runs on (SQLite's online backup API, or pg_dump and
pg_restore on PostgreSQL). Every table is compared whole, read straight from the
database, history tables, sessions and migrations included; all but the page-cache
counter, which a restore moves past every value it had, so that no page cached before
the restore is served after it.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from iqf.lib.pagecache import content_version
from qualifications.models import Module, Qualification
from tests.support.factories import (
    AwardingBodyFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleQualificationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table, in key order (all columns, as the database gives them)."""
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")
            found[table] = [tuple(str(cell) for cell in row) for row in cursor.fetchall()]
    return found


def some_data() -> None:
    for n in range(3):
        qualification = QualificationFactory(ref=f"QB{n}", title=f"Certificate {n}")
        QualificationModuleFactory(qualification=qualification)
        RoleQualificationFactory(qualification=qualification)
    MappingReviewFactory(qualification=Qualification.objects.first())


def test_restore_brings_back_every_table_exactly(migrated_transactional_db, tmp_path):
    some_data()
    before = every_table()
    assert sum(len(rows) for rows in before.values()) > 50
    path = tmp_path / f"drill{'.dump' if connection.vendor == 'postgresql' else '.sqlite3'}"
    call_command("backup", str(path))
    # changes of every kind, with their history rows
    first = Qualification.objects.order_by("pk").first()
    first.title = "Changed after the backup"
    first.save()
    QualificationFactory(ref="QNEW")
    AwardingBodyFactory(name="A body added after the backup")
    Module.objects.filter(pk=ModuleFactory().pk).update(title="Another change")
    assert every_table() != before
    counted_before = content_version()
    call_command("restore", str(path), "--yes")
    after = every_table()
    counter = "commoncore_contentversion"
    assert {t: rows for t, rows in after.items() if t != counter} == {
        t: rows for t, rows in before.items() if t != counter
    }
    assert content_version() > max(counted_before, int(before[counter][0][1]))
    # and the site goes on writing after it, keys not clashing with restored rows
    QualificationFactory(ref="QAFTER")


def test_a_backup_never_overwrites_a_file(tmp_path):
    path = tmp_path / "taken.sqlite3"
    path.write_bytes(b"something else")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(path))
    assert path.read_bytes() == b"something else"


@pytest.mark.parametrize(
    "content",
    [b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 200, b"PGDMP" + b"\x00" * 200],
)
def test_restoring_from_a_file_that_is_not_a_sound_backup_changes_nothing(
    migrated_transactional_db, tmp_path, content
):
    some_data()
    before = every_table()
    path = tmp_path / "bad-backup"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="Nothing restored"):
        call_command("restore", str(path), "--yes")
    assert every_table() == before


def test_restoring_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "nowhere.sqlite3"), "--yes")


def test_the_first_page_after_a_restore_is_drawn_afresh(
    migrated_transactional_db, tmp_path, settings, client
):
    # A page cached before the restore must not come back once the restored counter has
    # been moved on by one write to reach the value it was cached under.
    from django.core.cache import caches

    from commoncore.models import Area

    settings.PAGE_CACHE = True
    caches["pages"].clear()
    area = Area.objects.get(framework__slug="common-core-2005", number=1)
    path = tmp_path / f"drill{'.dump' if connection.vendor == 'postgresql' else '.sqlite3'}"
    call_command("backup", str(path))
    area.title = "A title written after the backup"
    with transaction.atomic():  # one transaction: the counter moves on by one
        area.save()
    assert "A title written after the backup" in client.get("/common-core/").content.decode()
    call_command("restore", str(path), "--yes")
    with transaction.atomic():  # one write after the restore, as far as the counter goes
        QualificationFactory(ref="QAFTER")

    page = client.get("/common-core/").content.decode()

    assert "A title written after the backup" not in page
    assert Area.objects.get(pk=area.pk).title in page
