"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from bundles.services import bundle_import
from bundles.sheets import SHEET_NAMES
from bundles.writer import bundle_export
from qualifications.models import (
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
)
from roles.models import ClusterScheme
from tests.support.bundles import (
    MAPPER,
    _Undo,
    by_sheet,
    data_rows,
    full_bundle,
    history_counts,
    read_csv_sheet,
    read_xlsx_sheet,
    rows_missing_from_export,
    table_counts,
)

pytestmark = pytest.mark.django_db


# -- round trips ---------------------------------------------------------------------


def test_full_bundle_covers_every_sheet():
    assert list(full_bundle()) == SHEET_NAMES


def test_import_of_a_full_bundle_creates_every_row(full_bundle_path):
    summaries = by_sheet(bundle_import(path=full_bundle_path))

    bundle = full_bundle()
    assert summaries == {sheet: (data_rows(bundle, sheet), 0, 0) for sheet in bundle}


def test_import_links_a_qualification_to_a_successor_defined_later_in_the_sheet(
    full_bundle_path,
):
    bundle_import(path=full_bundle_path)

    old = Qualification.objects.get(ref="Q-OLD")
    assert old.status == Qualification.Status.SUPERSEDED
    assert old.superseded_by.ref == "Q-NEW"


def test_import_creates_a_new_cluster_scheme_named_in_the_clusters_sheet(full_bundle_path):
    bundle_import(path=full_bundle_path)

    scheme = ClusterScheme.objects.get(name="Services 2024")
    assert sorted(scheme.clusters.values_list("name", flat=True)) == ["Early help", "Family support"]


def test_csv_export_gives_back_every_imported_row(full_bundle_path, tmp_path):
    bundle_import(path=full_bundle_path)
    out = tmp_path / "export"
    call_command("export_bundle", str(out), stdout=StringIO())

    exported = {sheet: read_csv_sheet(out, sheet) for sheet in SHEET_NAMES}
    assert rows_missing_from_export(full_bundle(), exported) == {}


def test_xlsx_export_gives_back_every_imported_row(full_bundle_path, tmp_path):
    bundle_import(path=full_bundle_path)
    workbook = tmp_path / "backup.xlsx"
    call_command("export_bundle", str(workbook), stdout=StringIO())

    exported = {sheet: read_xlsx_sheet(workbook, sheet) for sheet in SHEET_NAMES}
    assert rows_missing_from_export(full_bundle(), exported) == {}


@pytest.mark.parametrize("backup_name", ["backup.xlsx", "backup"], ids=["xlsx", "csv"])
def test_export_imports_into_a_fresh_database_giving_back_every_row(full_bundle_path, tmp_path, backup_name):
    backup = tmp_path / backup_name
    with pytest.raises(_Undo), transaction.atomic():
        bundle_import(path=full_bundle_path)
        bundle_export(path=backup)
        raise _Undo
    assert not Qualification.objects.exists()

    bundle_import(path=backup)
    out = tmp_path / "again"
    bundle_export(path=out)

    exported = {sheet: read_csv_sheet(out, sheet) for sheet in SHEET_NAMES}
    assert rows_missing_from_export(full_bundle(), exported) == {}


def test_reimporting_an_xlsx_export_changes_nothing(full_bundle_path, tmp_path):
    bundle_import(path=full_bundle_path)
    workbook = tmp_path / "backup.xlsx"
    bundle_export(path=workbook)

    summaries = bundle_import(path=workbook)

    assert {s.sheet: (s.created, s.updated) for s in summaries} == {sheet: (0, 0) for sheet in SHEET_NAMES}


# -- idempotence ---------------------------------------------------------------------


def test_reimporting_the_same_bundle_reports_every_row_unchanged(full_bundle_path):
    bundle_import(path=full_bundle_path)

    summaries = by_sheet(bundle_import(path=full_bundle_path))

    bundle = full_bundle()
    assert summaries == {sheet: (0, 0, data_rows(bundle, sheet)) for sheet in bundle}


def test_reimporting_the_same_bundle_writes_no_history(full_bundle_path):
    bundle_import(path=full_bundle_path)
    before = history_counts()

    bundle_import(path=full_bundle_path)

    assert history_counts() == before


def test_reimporting_the_same_bundle_leaves_every_table_as_it_was(full_bundle_path):
    bundle_import(path=full_bundle_path)
    before = table_counts()

    bundle_import(path=full_bundle_path)

    assert table_counts() == before


def test_import_records_the_named_user_as_author_in_history(full_bundle_path, bundle_users):
    mapper, _ = bundle_users

    call_command("import_bundle", str(full_bundle_path), "--user", MAPPER, stdout=StringIO())

    record = Qualification.objects.get(ref="Q-NEW").history.earliest()
    assert record.history_user == mapper


def test_import_without_a_user_is_recorded_as_a_system_import(full_bundle_path):
    call_command("import_bundle", str(full_bundle_path), stdout=StringIO())

    record = Qualification.objects.get(ref="Q-NEW").history.earliest()
    assert record.history_user is None
    assert "system" in record.history_change_reason


def test_import_refuses_an_unknown_author(full_bundle_path):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("import_bundle", str(full_bundle_path), "--user", "ghost")
    assert not Qualification.objects.exists()


def test_import_command_reports_per_sheet_counts(full_bundle_path):
    out = StringIO()

    call_command("import_bundle", str(full_bundle_path), stdout=out)

    assert "qualifications: 5 were created, 0 were updated, 0 unchanged" in out.getvalue()
    assert "Import complete." in out.getvalue()


# -- dry run -------------------------------------------------------------------------


def test_dry_run_writes_nothing(full_bundle_path):
    before = table_counts()

    call_command("import_bundle", str(full_bundle_path), "--dry-run", stdout=StringIO())

    assert table_counts() == before


def test_dry_run_reports_what_would_be_created(full_bundle_path):
    out = StringIO()

    call_command("import_bundle", str(full_bundle_path), "--dry-run", stdout=out)

    text = out.getvalue()
    assert "qualifications: 5 would be created, 0 would be updated, 0 unchanged" in text
    assert "attributes: 5 would be created, 0 would be updated, 0 unchanged" in text
    assert "Dry run: nothing was written." in text


# -- counts of what the full bundle writes ------------------------------------------


def test_full_bundle_import_writes_the_expected_links(full_bundle_path):
    bundle_import(path=full_bundle_path)

    assert Prerequisite.objects.filter(required_module__ref="U-101").count() == 1
    assert Prerequisite.objects.filter(required_qualification__ref="Q-ENTRY").count() == 1
    assert Provider.objects.get(name="Sheffield College").region.name == ("Yorkshire and the Humber")
    assert QualificationModule.objects.get(qualification__ref="Q-NEW", module__ref="U-102").mandatory is False
