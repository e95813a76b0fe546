"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

import csv
import time
from io import StringIO
from pathlib import Path

import pytest
import tablib
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from openpyxl import load_workbook
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from bundles.services import bundle_import
from bundles.sheets import SHEET_NAMES, BundleError
from bundles.writer import bundle_export
from commoncore.models import Attribute, MappingReview
from qualifications.models import (
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
)
from qualifications.services import likely_duplicates_of_qualification
from roles.models import Cluster, ClusterScheme, Role, RoleCluster
from tests.factories import QualificationFactory, UserFactory
from tests.test_admin import admin_import, client_for, person

pytestmark = pytest.mark.django_db

MAPPER = "ann.mapper"
MODERATOR = "bob.moderator"
CORE_2010 = "Common Core of Skills and Knowledge (2010)"

Rows = list[list[str]]
Bundle = dict[str, Rows]  # sheet name → header row, then data rows


# -- helpers -------------------------------------------------------------------------


def write_bundle(folder: Path, bundle: Bundle) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in bundle.items():
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def write_raw(folder: Path, sheet: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sheet}.csv").write_bytes(data)
    return folder


def read_csv_sheet(folder: Path, sheet: str) -> list[dict[str, str]]:
    with open(folder / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_xlsx_sheet(workbook_path: Path, sheet: str) -> list[dict[str, str]]:
    workbook = load_workbook(workbook_path, read_only=True)
    try:
        rows = [
            ["" if value is None else str(value) for value in row]
            for row in workbook[sheet].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    header, data = rows[0], rows[1:]
    return [dict(zip(header, row, strict=False)) for row in data]


def rows_missing_from_export(bundle: Bundle, exported: dict[str, list[dict[str, str]]]) -> dict:
    """For each sheet, the imported rows the export does not give back (on the imported
    columns, with identical values)."""
    missing = {}
    for sheet, (header, *data) in bundle.items():
        imported = {tuple(row) for row in data}
        given_back = {tuple(row.get(c, "<no column>") for c in header) for row in exported[sheet]}
        if imported - given_back:
            missing[sheet] = imported - given_back
    return missing


def import_error(path: Path) -> str:
    with pytest.raises(BundleError) as caught:
        bundle_import(path=path)
    return "\n".join(caught.value.messages)


def table_counts() -> dict[str, int]:
    """Rows in every table of the three apps, history tables included."""
    return {
        model._meta.label: model.objects.count()
        for app in ("qualifications", "roles", "commoncore")
        for model in apps.get_app_config(app).get_models()
    }


def history_counts() -> dict[str, int]:
    return {label: n for label, n in table_counts().items() if ".Historical" in label}


def by_sheet(summaries) -> dict[str, tuple[int, int, int]]:
    return {s.sheet: (s.created, s.updated, s.unchanged) for s in summaries}


def full_bundle() -> Bundle:
    """Every sheet, in the order DESIGN §5 lists them; every row refers only to rows
    defined earlier in the bundle or to what migrations install."""
    return {
        "clusters": [
            ["scheme", "cluster"],
            ["Services 2024", "Family support"],
            ["Services 2024", "Early help"],
        ],
        "roles": [
            ["role", "level", "description"],
            ["Family support worker", "3", "Works with families at home"],
            ["Early help coordinator", "E", ""],
            ["Youth mentor", "", "Volunteer mentor"],
        ],
        "role_clusters": [
            ["scheme", "cluster", "role"],
            ["Services 2024", "Family support", "Family support worker"],
            ["Services 2024", "Early help", "Family support worker"],
            ["Services 2024", "Early help", "Early help coordinator"],
            ["Services 2024", "Family support", "Youth mentor"],
        ],
        "qualification_types": [
            ["name"],
            ["Forest School award"],
        ],
        "awarding_bodies": [
            ["name"],
            ["CACHE"],
            ["City & Guilds"],
        ],
        "qualifications": [
            ["ref", "title", "type", "awarding_body", "level", "learning_hours", "status",
             "source", "source_url", "notes", "superseded_by"],
            # superseded by Q-NEW, which the next row defines
            ["Q-OLD", "CACHE Level 3 Certificate in Family Support", "NVQ", "CACHE", "3",
             "180", "superseded", "Ofqual register", "https://register.example.org/q-old",
             "Replaced in 2008", "Q-NEW"],
            ["Q-NEW", "CACHE Level 3 Diploma in Family Support", "VRQ", "CACHE", "3", "360",
             "current", "Ofqual register", "https://register.example.org/q-new", "", ""],
            ["Q-FS", "City & Guilds Level 2 Forest School Leader", "Forest School award",
             "City & Guilds", "2", "", "withdrawn", "", "", "Withdrawn 2010", ""],
            ["Q-ENTRY", "Entry Level Award in Caring", "", "", "E", "", "current", "", "", "",
             ""],
            ["Q-SAFE", "Safeguarding awareness", "Nationally endorsed training", "", "", "6",
             "current", "", "", "", ""],
        ],
        "modules": [
            ["ref", "title", "level", "learning_hours", "notes"],
            ["U-101", "Communicate with families", "3", "30", ""],
            ["U-102", "Support transitions", "3", "20", "Optional in the diploma"],
            ["U-201", "Outdoor risk assessment", "2", "", ""],
        ],
        "qualification_modules": [
            ["qualification_ref", "module_ref", "mandatory"],
            ["Q-NEW", "U-101", "yes"],
            ["Q-NEW", "U-102", "no"],
            ["Q-OLD", "U-101", "yes"],
            ["Q-FS", "U-201", "yes"],
        ],
        "prerequisites": [
            ["qualification_ref", "required_qualification_ref", "required_module_ref"],
            ["Q-NEW", "Q-ENTRY", ""],
            ["Q-FS", "", "U-101"],
        ],
        "role_qualifications": [
            ["role", "qualification_ref", "key"],
            ["Family support worker", "Q-NEW", "yes"],
            ["Family support worker", "Q-OLD", "no"],
            ["Early help coordinator", "Q-ENTRY", "yes"],
        ],
        "providers": [
            ["name", "region", "url"],
            ["Sheffield College", "Yorkshire and the Humber", "https://sheffcol.example.org"],
            ["Open Learning Trust", "", ""],
        ],
        "offerings": [
            ["provider", "qualification_ref", "course_hours", "mode", "cost"],
            ["Sheffield College", "Q-NEW", "360", "part-time", "450.00"],
            ["Sheffield College", "Q-NEW", "300", "full-time", ""],
            ["Open Learning Trust", "Q-FS", "", "distance", "0.00"],
        ],
        "mapping_reviews": [
            ["qualification_ref", "framework", "status", "mapped_by", "moderated_by"],
            ["Q-NEW", "", "approved", MAPPER, MODERATOR],
            ["Q-FS", "", "accepted", MAPPER, ""],
            ["Q-ENTRY", "", "draft", MAPPER, ""],
            ["Q-OLD", CORE_2010, "accepted", MAPPER, ""],
        ],
        "attributes": [
            ["framework", "area", "qualification_ref", "module_ref"],
            ["", "1", "Q-NEW", ""],
            ["", "3", "Q-NEW", ""],
            ["", "1", "", "U-101"],
            ["", "2", "", "U-201"],
            [CORE_2010, "5", "Q-OLD", ""],
        ],
    }


def data_rows(bundle: Bundle, sheet: str) -> int:
    return len(bundle[sheet]) - 1


@pytest.fixture
def bundle_users(db):
    return UserFactory(username=MAPPER), UserFactory(username=MODERATOR)


@pytest.fixture
def full_bundle_path(tmp_path, bundle_users) -> Path:
    return write_bundle(tmp_path / "bundle", full_bundle())


class _Undo(Exception):
    """Raised to roll back a block, leaving the database as it was before it."""


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
    assert sorted(scheme.clusters.values_list("name", flat=True)) == [
        "Early help", "Family support"
    ]


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
def test_export_imports_into_a_fresh_database_giving_back_every_row(
    full_bundle_path, tmp_path, backup_name
):
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

    assert {s.sheet: (s.created, s.updated) for s in summaries} == {
        sheet: (0, 0) for sheet in SHEET_NAMES
    }


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


# -- all or nothing ------------------------------------------------------------------


def test_a_bad_row_in_the_last_sheet_writes_nothing_in_any_table(tmp_path, bundle_users):
    bundle = full_bundle()
    bundle["attributes"].append(["", "7", "Q-NEW", ""])  # data row 6: spreadsheet row 7
    path = write_bundle(tmp_path / "bundle", bundle)
    before = table_counts()

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert table_counts() == before
    assert not ClusterScheme.objects.exists()


def test_a_bad_row_error_names_sheet_row_and_column(tmp_path, bundle_users):
    bundle = full_bundle()
    bundle["attributes"].append(["", "7", "Q-NEW", ""])  # data row 6: spreadsheet row 7
    path = write_bundle(tmp_path / "bundle", bundle)

    message = import_error(path)

    assert "sheet attributes: row 7, column area:" in message
    assert "no area 7" in message


def test_import_command_fails_and_prints_the_error(tmp_path, bundle_users):
    bundle = full_bundle()
    bundle["attributes"].append(["", "7", "Q-NEW", ""])
    path = write_bundle(tmp_path / "bundle", bundle)
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_bundle", str(path), stdout=StringIO(), stderr=err)

    assert "sheet attributes: row 7, column area:" in err.getvalue()
    assert not Qualification.objects.exists()


def qualification_rows(count: int) -> Rows:
    return [["ref", "title", "level"]] + [
        [f"Q{n:04d}", f"Certificate number {n}", "2"] for n in range(1, count + 1)
    ]


def two_hundred_good_rows_and_a_bad_level_at_data_row_150() -> Rows:
    rows = qualification_rows(200)
    # rows[0] is the header, so inserting at index 150 makes it data row 150,
    # which a spreadsheet shows as row 151 (the header is row 1)
    rows.insert(150, ["Q-BAD", "Certificate at level nine", "9"])
    return rows


def test_one_bad_level_among_two_hundred_rows_writes_nothing(tmp_path):
    rows = two_hundred_good_rows_and_a_bad_level_at_data_row_150()
    path = write_bundle(tmp_path / "bundle", {"qualifications": rows})

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert not Qualification.objects.exists()


def test_one_bad_level_among_two_hundred_rows_names_its_spreadsheet_row(tmp_path):
    rows = two_hundred_good_rows_and_a_bad_level_at_data_row_150()
    path = write_bundle(tmp_path / "bundle", {"qualifications": rows})

    message = import_error(path)

    assert message.startswith("sheet qualifications: row 151, column level: '9'")
    assert "\n" not in message  # the only bad row


def test_row_numbers_count_blank_rows_as_a_spreadsheet_does(tmp_path):
    # spreadsheet rows: 1 header, 2 Q1, 3 blank, 4 Q2 with a bad level
    data = b"ref,title,level\r\nQ1,Play,1\r\n,,\r\nQ2,Care,9\r\n"

    message = import_error(write_raw(tmp_path / "b", "qualifications", data))

    assert message.startswith("sheet qualifications: row 4, column level:")


def test_reimport_with_a_changed_title_updates_it_and_keeps_history(tmp_path):
    first = write_bundle(tmp_path / "a", {"qualifications": [["ref", "title"], ["Q1", "Play"]]})
    second = write_bundle(
        tmp_path / "b", {"qualifications": [["ref", "title"], ["Q1", "Playwork"]]}
    )
    bundle_import(path=first)

    summaries = by_sheet(bundle_import(path=second))

    qualification = Qualification.objects.get(ref="Q1")
    assert summaries["qualifications"] == (0, 1, 0)
    assert qualification.title == "Playwork"
    assert [h.title for h in qualification.history.order_by("history_id")] == ["Play", "Playwork"]


def test_reimport_with_a_column_left_out_keeps_that_column(tmp_path):
    first = write_bundle(tmp_path / "a", {"qualifications": [["ref", "title", "notes"],
                                                             ["Q1", "Play", "Keep me"]]})
    second = write_bundle(tmp_path / "b", {"qualifications": [["ref", "title"], ["Q1", "Play"]]})
    bundle_import(path=first)

    summaries = by_sheet(bundle_import(path=second))

    assert summaries["qualifications"] == (0, 0, 1)
    assert Qualification.objects.get(ref="Q1").notes == "Keep me"


def test_title_longer_than_the_database_holds_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [["ref", "title"], ["Q1", "x" * 256]]})

    message = import_error(path)

    assert "sheet qualifications: row 2, column title: is 256 characters long" in message


def test_source_url_that_is_not_a_web_address_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "source_url"], ["Q1", "Play", "javascript:alert(1)"],
    ]})

    message = import_error(path)

    assert "sheet qualifications: row 2, column source_url:" in message
    assert not Qualification.objects.exists()


def test_qualification_superseded_by_itself_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "status", "superseded_by"], ["Q1", "Play", "superseded", "q1"],
    ]})

    message = import_error(path)

    assert "sheet qualifications: row 2, column superseded_by: names the qualification itself" in (
        message
    )


def test_qualifications_superseding_each_other_are_refused(tmp_path):
    # Q-A is superseded by Q-B and Q-B by Q-A: neither leads to a current qualification.
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "status", "superseded_by"],
        ["Q-A", "Play", "superseded", "Q-B"],
        ["Q-B", "Playwork", "superseded", "Q-A"],
    ]})

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert not Qualification.objects.exists()


def test_imported_qualification_is_found_by_the_duplicate_check(full_bundle_path):
    bundle_import(path=full_bundle_path)

    found = likely_duplicates_of_qualification(
        title="Level three Diploma in Family Support", awarding_body_name="CACHE"
    )

    assert [q.ref for q in found] == ["Q-NEW"]


# -- references ----------------------------------------------------------------------

BASE_QUALIFICATION = [["ref", "title"], ["Q1", "Diploma in Play"]]


CLUSTER_AND_ROLE = {
    "clusters": [["scheme", "cluster"], ["S", "Early Years"]],
    "roles": [["role"], ["Childminder"]],
}
ROLE_CLUSTER = ["scheme", "cluster", "role"]
ROLE_QUALIFICATION = ["role", "qualification_ref", "key"]

# name → (bundle, sheet, column, the unknown value)
UNKNOWN: dict[str, tuple[Bundle, str, str, str]] = {
    "qualification type": (
        {"qualifications": [["ref", "title", "type"], ["Q1", "Play", "Unicorn diploma"]]},
        "qualifications", "type", "Unicorn diploma",
    ),
    "awarding body": (
        {"qualifications": [["ref", "title", "awarding_body"], ["Q1", "Play", "Nobody"]]},
        "qualifications", "awarding_body", "Nobody",
    ),
    "cluster": (
        {**CLUSTER_AND_ROLE, "role_clusters": [ROLE_CLUSTER, ["S", "Late Years", "Childminder"]]},
        "role_clusters", "cluster", "Late Years",
    ),
    "cluster scheme": (
        {**CLUSTER_AND_ROLE,
         "role_clusters": [ROLE_CLUSTER, ["Nope", "Early Years", "Childminder"]]},
        "role_clusters", "cluster", "Nope",
    ),
    "role": (
        {"qualifications": BASE_QUALIFICATION,
         "role_qualifications": [ROLE_QUALIFICATION, ["Astronaut", "Q1", "yes"]]},
        "role_qualifications", "role", "Astronaut",
    ),
    "qualification ref": (
        {"roles": [["role"], ["Childminder"]],
         "role_qualifications": [ROLE_QUALIFICATION, ["Childminder", "Q-NOPE", "yes"]]},
        "role_qualifications", "qualification_ref", "Q-NOPE",
    ),
    "module ref": (
        {"qualifications": BASE_QUALIFICATION,
         "qualification_modules": [["qualification_ref", "module_ref"], ["Q1", "U-NOPE"]]},
        "qualification_modules", "module_ref", "U-NOPE",
    ),
    "provider": (
        {"qualifications": BASE_QUALIFICATION,
         "offerings": [["provider", "qualification_ref", "mode"], ["Nowhere", "Q1", ""]]},
        "offerings", "provider", "Nowhere",
    ),
    "region": (
        {"providers": [["name", "region"], ["Leeds College", "Atlantis"]]},
        "providers", "region", "Atlantis",
    ),
    "username": (
        {"qualifications": BASE_QUALIFICATION,
         "mapping_reviews": [["qualification_ref", "framework", "status", "mapped_by"],
                             ["Q1", "", "draft", "ghost"]]},
        "mapping_reviews", "mapped_by", "ghost",
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_reference_is_an_error_naming_sheet_column_and_value(tmp_path, case):
    bundle, sheet, column, value = UNKNOWN[case]
    path = write_bundle(tmp_path / "bundle", bundle)

    message = import_error(path)

    assert f"sheet {sheet}: row 2, column {column}:" in message
    assert repr(value) in message


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_reference_writes_nothing(tmp_path, case):
    bundle, *_ = UNKNOWN[case]
    path = write_bundle(tmp_path / "bundle", bundle)
    before = table_counts()

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert table_counts() == before


def test_row_may_refer_to_a_type_and_body_defined_earlier_in_the_bundle(tmp_path):
    path = write_bundle(tmp_path / "bundle", {
        "qualification_types": [["name"], ["Forest School award"]],
        "awarding_bodies": [["name"], ["Open College Network"]],
        "qualifications": [
            ["ref", "title", "type", "awarding_body"],
            ["Q1", "Forest School Leader", "Forest School award", "Open College Network"],
        ],
    })

    bundle_import(path=path)

    qualification = Qualification.objects.select_related(
        "qualification_type", "awarding_body"
    ).get(ref="Q1")
    assert qualification.qualification_type.name == "Forest School award"
    assert qualification.awarding_body.name == "Open College Network"


def test_row_may_refer_to_what_already_exists_in_the_database(tmp_path):
    QualificationFactory(ref="Q-EXISTING")
    path = write_bundle(tmp_path / "bundle", {
        "roles": [["role"], ["Childminder"]],
        "role_qualifications": [["role", "qualification_ref", "key"],
                                ["Childminder", "q-existing", "yes"]],
    })

    bundle_import(path=path)

    role = Role.objects.get(title="Childminder")
    assert list(role.qualification_links.values_list("qualification__ref", "is_key")) == [
        ("Q-EXISTING", True)
    ]


def test_superseded_by_a_ref_defined_nowhere_is_an_error(tmp_path):
    path = write_bundle(tmp_path / "bundle", {
        "qualifications": [["ref", "title", "status", "superseded_by"],
                           ["Q1", "Old award", "superseded", "Q-GHOST"]],
    })

    message = import_error(path)

    assert "sheet qualifications: row 2, column superseded_by:" in message


# -- published judgements and moderation --------------------------------------------


def mapping_bundle(
    review_status: str, attribute: list[str] | None = None, moderator: str = ""
) -> Bundle:
    """Q1 contains U1; Q1 has a Common Core review in ``review_status`` mapped by MAPPER;
    ``attribute`` (framework, area, qualification_ref, module_ref) is the one judgement."""
    bundle = {
        "qualifications": [["ref", "title"], ["Q1", "Diploma in Play"]],
        "modules": [["ref", "title"], ["U1", "Play and development"]],
        "qualification_modules": [["qualification_ref", "module_ref"], ["Q1", "U1"]],
        "mapping_reviews": [
            ["qualification_ref", "framework", "status", "mapped_by", "moderated_by"],
            ["Q1", "", review_status, MAPPER, moderator],
        ],
    }
    if attribute is not None:
        bundle["attributes"] = [["framework", "area", "qualification_ref", "module_ref"], attribute]
    return bundle


def test_attribute_for_a_qualification_with_only_a_draft_review_is_refused(
    tmp_path, bundle_users
):
    path = write_bundle(tmp_path / "b", mapping_bundle("draft", ["", "1", "Q1", ""]))

    message = import_error(path)

    assert "sheet attributes: row 2, column qualification_ref:" in message
    assert "approved or accepted" in message
    assert not Attribute.objects.exists()


def test_attribute_for_a_module_of_a_qualification_with_only_a_draft_review_is_refused(
    tmp_path, bundle_users
):
    path = write_bundle(tmp_path / "b", mapping_bundle("draft", ["", "1", "", "U1"]))

    message = import_error(path)

    assert "sheet attributes: row 2, column module_ref:" in message


def test_attribute_for_a_module_of_an_approved_qualification_is_accepted(
    tmp_path, bundle_users
):
    path = write_bundle(
        tmp_path / "b", mapping_bundle("approved", ["", "4", "", "U1"], moderator=MODERATOR)
    )

    bundle_import(path=path)

    attribute = Attribute.objects.select_related("area__framework", "module").get()
    assert (attribute.module.ref, attribute.area.number) == ("U1", 4)
    assert attribute.area.framework.is_default


def test_attribute_for_a_qualification_with_an_accepted_review_is_linked_to_it(
    tmp_path, bundle_users
):
    path = write_bundle(tmp_path / "b", mapping_bundle("accepted", ["", "2", "Q1", ""]))

    bundle_import(path=path)

    attribute = Attribute.objects.get()
    assert attribute.review == MappingReview.objects.get(qualification__ref="Q1")


def test_approved_review_moderated_by_its_mapper_is_refused(tmp_path, bundle_users):
    path = write_bundle(
        tmp_path / "b", mapping_bundle("approved", ["", "1", "Q1", ""], moderator=MAPPER)
    )

    message = import_error(path)

    assert "sheet mapping_reviews: row 2, column moderated_by:" in message
    assert "nobody may moderate a grid they mapped" in message
    assert not MappingReview.objects.exists()


def test_approved_review_without_a_moderator_is_refused(tmp_path, bundle_users):
    path = write_bundle(tmp_path / "b", mapping_bundle("approved", ["", "1", "Q1", ""]))

    message = import_error(path)

    assert "sheet mapping_reviews: row 2, column moderated_by:" in message


def test_review_status_is_recorded_as_it_was(tmp_path, bundle_users):
    path = write_bundle(tmp_path / "b", mapping_bundle("returned", moderator=MODERATOR))

    bundle_import(path=path)

    review = MappingReview.objects.select_related("mapped_by", "moderated_by").get()
    assert review.status == "returned"
    assert (review.mapped_by.username, review.moderated_by.username) == (MAPPER, MODERATOR)


def test_attribute_for_a_module_mapped_only_for_another_framework_is_refused(
    tmp_path, bundle_users
):
    bundle = mapping_bundle("accepted", [CORE_2010, "1", "", "U1"])  # review: default framework

    message = import_error(write_bundle(tmp_path / "b", bundle))

    assert "sheet attributes: row 2, column module_ref:" in message


def test_attribute_needs_exactly_one_subject(tmp_path, bundle_users):
    bundle = mapping_bundle("accepted", ["", "1", "Q1", "U1"])

    message = import_error(write_bundle(tmp_path / "b", bundle))

    assert "sheet attributes: row 2, column qualification_ref: fill exactly one" in message


def test_attribute_area_written_twice_with_a_leading_zero_is_a_duplicate_row(
    tmp_path, bundle_users
):
    # spreadsheet rows 2 and 3 both say: U1 covers area 1 of the Common Core
    bundle = mapping_bundle("accepted", ["", "1", "", "U1"])
    bundle["attributes"].append(["", "01", "", "U1"])

    message = import_error(write_bundle(tmp_path / "b", bundle))

    assert message.startswith("sheet attributes: row 3")
    assert not Attribute.objects.exists()


def test_unknown_review_status_is_refused(tmp_path, bundle_users):
    message = import_error(write_bundle(tmp_path / "b", mapping_bundle("done")))

    assert "sheet mapping_reviews: row 2, column status: 'done' is not one of" in message


# -- formula injection ---------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://x")'


def formula_bundle() -> Bundle:
    return {
        "qualifications": [
            ["ref", "title", "notes"],
            ["Q-F1", HYPERLINK, ""],
            ["Q-F2", "Plus", "+1"],
            ["Q-F3", "Minus", "-2"],
            ["Q-F4", "At", "@SUM(A1)"],
            ["Q-F5", "Apostrophe", "'quoted"],
            ["Q-F6", "Protected formula", "'=1"],
        ]
    }


def stored_notes() -> dict[str, str]:
    return dict(Qualification.objects.values_list("ref", "notes"))


def test_formula_like_cells_are_stored_literally(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", formula_bundle()))

    assert Qualification.objects.get(ref="Q-F1").title == HYPERLINK
    notes = stored_notes()
    assert (notes["Q-F2"], notes["Q-F3"], notes["Q-F4"]) == ("+1", "-2", "@SUM(A1)")


def test_import_removes_one_leading_apostrophe(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", formula_bundle()))

    notes = stored_notes()
    assert notes["Q-F5"] == "quoted"
    assert notes["Q-F6"] == "=1"


def test_csv_export_prefixes_formula_like_cells_with_an_apostrophe(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", formula_bundle()))
    QualificationFactory(ref="Q-TAB", notes="\tx")
    QualificationFactory(ref="Q-QUOTE", notes="'kept")
    out = tmp_path / "export"

    bundle_export(path=out)

    rows = {row["ref"]: row for row in read_csv_sheet(out, "qualifications")}
    assert rows["Q-F1"]["title"] == "'" + HYPERLINK
    assert [rows[ref]["notes"] for ref in ("Q-F2", "Q-F3", "Q-F4", "Q-F6")] == [
        "'+1", "'-2", "'@SUM(A1)", "'=1"
    ]
    assert rows["Q-TAB"]["notes"] == "'\tx"
    assert rows["Q-QUOTE"]["notes"] == "''kept"
    assert rows["Q-F5"]["notes"] == "quoted"


def test_reimporting_a_csv_export_reproduces_formula_like_values(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", formula_bundle()))
    QualificationFactory(ref="Q-TAB", title="-Tab", notes="\tx")
    QualificationFactory(ref="Q-QUOTE", title="@Quote", notes="'kept")
    before = {q.ref: (q.title, q.notes) for q in Qualification.objects.all()}
    out = tmp_path / "export"
    bundle_export(path=out)

    summaries = by_sheet(bundle_import(path=out))

    assert summaries["qualifications"] == (0, 0, 8)
    assert {q.ref: (q.title, q.notes) for q in Qualification.objects.all()} == before


def test_xlsx_export_writes_formula_like_cells_as_text_with_an_apostrophe(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", formula_bundle()))
    workbook_path = tmp_path / "export.xlsx"

    bundle_export(path=workbook_path)

    workbook = load_workbook(workbook_path)
    sheet = workbook["qualifications"]
    header = [cell.value for cell in sheet[1]]
    cells = {
        row[header.index("ref")].value: row for row in sheet.iter_rows(min_row=2)
    }
    title = cells["Q-F1"][header.index("title")]
    notes = cells["Q-F2"][header.index("notes")]
    assert (title.value, title.data_type) == ("'" + HYPERLINK, "s")
    assert (notes.value, notes.data_type) == ("'+1", "s")


# -- file hygiene --------------------------------------------------------------------


def test_utf8_csv_with_a_byte_order_mark_imports(tmp_path):
    data = "\ufeffref,title\r\nQ1,Café skills\r\n".encode()
    assert data.startswith(b"\xef\xbb\xbf")

    bundle_import(path=write_raw(tmp_path / "b", "qualifications", data))

    assert Qualification.objects.get(ref="Q1").title == "Café skills"


def test_cp1252_csv_is_refused_asking_for_utf8(tmp_path):
    data = "ref,title\r\nQ1,Café skills\r\n".encode("cp1252")

    message = import_error(write_raw(tmp_path / "b", "qualifications", data))

    assert "sheet qualifications" in message
    assert "UTF-8" in message
    assert not Qualification.objects.exists()


def test_unknown_column_is_an_error_naming_row_1(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [["ref", "title", "colour"],
                                                            ["Q1", "Play", "red"]]})

    message = import_error(path)

    assert "sheet qualifications: row 1, column 3: unknown column 'colour'" in message


def test_duplicate_column_is_an_error_naming_row_1(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [["ref", "title", "title"],
                                                            ["Q1", "Play", "Play"]]})

    message = import_error(path)

    assert "sheet qualifications: row 1, column 3: column 'title' appears twice" in message


def test_missing_key_column_is_an_error_naming_row_1(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [["title"], ["Play"]]})

    message = import_error(path)

    assert "sheet qualifications: row 1: missing column ref" in message


def test_blank_trailing_rows_are_ignored(tmp_path):
    data = b"ref,title\r\nQ1,Play\r\n,\r\n\r\n , \r\n"

    summaries = by_sheet(bundle_import(path=write_raw(tmp_path / "b", "qualifications", data)))

    assert summaries["qualifications"] == (1, 0, 0)
    assert list(Qualification.objects.values_list("ref", flat=True)) == ["Q1"]


def test_leading_and_trailing_spaces_are_trimmed(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "level"], ["  Q1  ", "  Diploma in Play ", " 3 "],
    ]})

    bundle_import(path=path)

    qualification = Qualification.objects.get()
    assert (qualification.ref, qualification.title, qualification.level) == (
        "Q1", "Diploma in Play", 3
    )


def test_same_key_twice_in_a_sheet_is_an_error_naming_both_rows(tmp_path):
    # spreadsheet rows: 1 header, 2 Q1, 3 Q2, 4 q1 (the same key ignoring case)
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title"], ["Q1", "Play"], ["Q2", "Care"], ["q1", "Play again"],
    ]})

    message = import_error(path)

    assert message.startswith("sheet qualifications: row 4, column ref:")
    assert "row 2" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value", ["1,234.5", "1e999", "NaN", "-5", "12.5"])
def test_bad_learning_hours_are_refused(tmp_path, value):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "learning_hours"], ["Q1", "Play", value],
    ]})

    message = import_error(path)

    assert "sheet qualifications: row 2, column learning_hours:" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value", ["1,234.5", "1e999", "NaN", "-5", "Infinity"])
def test_bad_cost_is_refused(tmp_path, value):
    path = write_bundle(tmp_path / "b", {
        "qualifications": BASE_QUALIFICATION,
        "providers": [["name"], ["Leeds College"]],
        "offerings": [["provider", "qualification_ref", "mode", "cost"],
                      ["Leeds College", "Q1", "", value]],
    })

    message = import_error(path)

    assert "sheet offerings: row 2, column cost:" in message
    assert not Offering.objects.exists()


def test_cost_in_pounds_is_stored(tmp_path):
    path = write_bundle(tmp_path / "b", {
        "qualifications": BASE_QUALIFICATION,
        "providers": [["name"], ["Leeds College"]],
        "offerings": [["provider", "qualification_ref", "mode", "cost"],
                      ["Leeds College", "Q1", "", "£1234.50"]],
    })

    bundle_import(path=path)

    assert str(Offering.objects.get().cost) == "1234.50"


@pytest.mark.parametrize("value", ["0", "9", "III", "Level 3"])
def test_bad_level_is_refused(tmp_path, value):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "level"], ["Q1", "Play", value],
    ]})

    message = import_error(path)

    assert "sheet qualifications: row 2, column level:" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value, level", [("E", 0), ("e", 0), ("1", 1), ("8", 8), ("", None)])
def test_good_levels_are_stored(tmp_path, value, level):
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "level"], ["Q1", "Play", value],
    ]})

    bundle_import(path=path)

    assert Qualification.objects.get().level == level


def test_nul_in_a_cell_is_refused(tmp_path):
    data = b"ref,title\r\nQ1,Play\x00time\r\n"

    message = import_error(write_raw(tmp_path / "b", "qualifications", data))

    assert "sheet qualifications" in message
    assert "NUL" in message
    assert not Qualification.objects.exists()


def test_unknown_sheet_file_is_an_error(tmp_path):
    path = write_bundle(tmp_path / "b", {"qualifcations": BASE_QUALIFICATION})

    message = import_error(path)

    assert "qualifcations.csv: not a bundle sheet" in message


def test_bad_yes_no_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {
        "qualifications": BASE_QUALIFICATION,
        "roles": [["role"], ["Childminder"]],
        "role_qualifications": [["role", "qualification_ref", "key"],
                                ["Childminder", "Q1", "maybe"]],
    })

    message = import_error(path)

    assert "sheet role_qualifications: row 2, column key:" in message


def test_prerequisite_naming_both_a_qualification_and_a_module_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {
        "qualifications": [["ref", "title"], ["Q1", "Play"], ["Q2", "Care"]],
        "modules": [["ref", "title"], ["U1", "Unit"]],
        "prerequisites": [["qualification_ref", "required_qualification_ref",
                           "required_module_ref"], ["Q1", "Q2", "U1"]],
    })

    message = import_error(path)

    assert "sheet prerequisites: row 2, column required_qualification_ref: fill exactly one" in (
        message
    )


def test_prerequisite_requiring_its_own_qualification_is_refused(tmp_path):
    path = write_bundle(tmp_path / "b", {
        "qualifications": [["ref", "title"], ["Q1", "Play"]],
        "prerequisites": [["qualification_ref", "required_qualification_ref",
                           "required_module_ref"], ["Q1", "Q1", ""]],
    })

    message = import_error(path)

    assert "cannot require itself" in message
    assert not Prerequisite.objects.exists()


# -- speed ---------------------------------------------------------------------------


def test_import_of_ten_thousand_rows_completes(tmp_path):
    qualifications, modules_per_qualification = 2000, 3
    bundle = {
        "qualifications": [["ref", "title", "level", "learning_hours"]] + [
            [f"Q{n:05d}", f"Certificate in practice {n}", str(n % 8 + 1), "120"]
            for n in range(qualifications)
        ],
        "modules": [["ref", "title", "level"]] + [
            [f"U{n:05d}", f"Unit of practice {n}", str(n % 8 + 1)] for n in range(2000)
        ],
        "qualification_modules": [["qualification_ref", "module_ref", "mandatory"]] + [
            [f"Q{q:05d}", f"U{(q + k) % 2000:05d}", "yes" if k == 0 else "no"]
            for q in range(qualifications)
            for k in range(modules_per_qualification)
        ],
    }
    rows = sum(len(sheet) - 1 for sheet in bundle.values())
    assert rows == 10_000
    path = write_bundle(tmp_path / "big", bundle)

    started = time.perf_counter()
    bundle_import(path=path)
    seconds = time.perf_counter() - started

    print(f"\nbundle import: {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
    assert Qualification.objects.count() == 2000
    assert Module.objects.count() == 2000
    assert QualificationModule.objects.count() == 6000


# -- setup_demo ----------------------------------------------------------------------


def test_setup_demo_loads_the_reference_clusters_roles_and_links():
    call_command("setup_demo", "--no-demo", stdout=StringIO())

    scheme = ClusterScheme.objects.get(name="2005 workforce clusters")
    assert scheme.is_default
    assert Cluster.objects.filter(scheme=scheme).count() == 11
    assert Role.objects.count() == 124
    assert RoleCluster.objects.count() == 128


def test_setup_demo_twice_does_not_duplicate():
    call_command("setup_demo", "--no-demo", stdout=StringIO())
    before = table_counts()

    call_command("setup_demo", "--no-demo", stdout=StringIO())

    assert table_counts() == before


def test_setup_demo_places_counsellor_in_two_clusters():
    call_command("setup_demo", "--no-demo", stdout=StringIO())

    clusters = set(
        RoleCluster.objects.filter(role__title="Counsellor").values_list("cluster__name", flat=True)
    )
    assert {"Social Care", "Youth Work and Support"} <= clusters


# -- counts of what the full bundle writes ------------------------------------------


def test_full_bundle_import_writes_the_expected_links(full_bundle_path):
    bundle_import(path=full_bundle_path)

    assert Prerequisite.objects.filter(required_module__ref="U-101").count() == 1
    assert Prerequisite.objects.filter(required_qualification__ref="Q-ENTRY").count() == 1
    assert Provider.objects.get(name="Sheffield College").region.name == (
        "Yorkshire and the Humber"
    )
    assert QualificationModule.objects.get(
        qualification__ref="Q-NEW", module__ref="U-102"
    ).mandatory is False


# -- the import log ---------------------------------------------------------------------


def test_an_import_that_writes_is_logged_with_its_author_and_counts(full_bundle_path):
    from bundles.models import BundleImport

    author = UserFactory(username="clara.clerk")
    summaries = bundle_import(path=full_bundle_path, user=author)
    bundle_import(path=full_bundle_path, user=author)  # changes nothing: not logged

    log = BundleImport.objects.get()
    assert (log.name, log.imported_by, log.demonstration) == ("bundle", author, False)
    assert log.created == sum(s.created for s in summaries) == sum(
        data_rows(full_bundle(), sheet) for sheet in full_bundle()
    )


def test_a_dry_run_or_a_refused_import_is_not_logged(full_bundle_path, tmp_path):
    from bundles.models import BundleImport

    bundle_import(path=full_bundle_path, dry_run=True)
    bad = write_bundle(tmp_path / "bad", {"roles": [["role", "level", "description"],
                                                    ["A role", "9", ""]]})
    with pytest.raises(BundleError):
        bundle_import(path=bad)
    assert not BundleImport.objects.exists()


def test_bulk_export_writes_the_cells_the_resources_own_export_gives(full_bundle_path):
    """Exports read plain values from the database instead of a model instance per row:
    every sheet's header and cells are those of django-import-export's own export."""
    from bundles.sheets import SHEETS

    call_command("import_bundle", str(full_bundle_path), stdout=StringIO())
    for resource_class in SHEETS:
        resource = resource_class()
        reference = resource.export(resource.export_queryset())
        headers, rows = resource_class().export_rows()
        assert headers == list(reference.headers), resource_class.sheet
        assert [list(row) for row in rows] == [list(row) for row in reference], resource_class.sheet


# -- set-based writes ------------------------------------------------------------------
# bundle_import reads every row through the resources' validate_row, as the admin's
# import does, then writes each sheet in a few statements (iqf/lib/bulk.py). These tests
# hold it to what django-import-export's own row-by-row import gives.


def simple_history_create(objs, *, user=None, reason=""):
    if objs:
        bulk_create_with_history(list(objs), type(objs[0]), default_user=user,
                                 default_change_reason=reason)


def simple_history_update(objs, fields, *, user=None, reason=""):
    if objs:
        bulk_update_with_history(list(objs), type(objs[0]), list(fields), default_user=user,
                                 default_change_reason=reason)


def import_row_by_row(path: Path) -> None:
    """The same bundle through django-import-export's import_data, sheet by sheet, as
    the admin's import screens run it, written by Django's and simple-history's own bulk
    functions; then the coverage summary rebuilt whole."""
    from bundles.reader import read_bundle
    from bundles.sheets import SHEETS
    from commoncore import summary

    sheets = read_bundle(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("iqf.lib.resources.create_with_history", simple_history_create)
        patch.setattr("iqf.lib.resources.update_with_history", simple_history_update)
        patch.setattr("qualifications.resources.update_with_history", simple_history_update)
        for resource_class in SHEETS:
            sheet = sheets.get(resource_class.sheet)
            if sheet is None:
                continue
            dataset = tablib.Dataset(*sheet.rows, headers=sheet.headers)
            resource = resource_class(change_reason=f"Bundle import from {path.name} (system)")
            result = resource.import_data(dataset, use_transactions=False)
            assert not (result.has_errors() or result.has_validation_errors()), resource.sheet
    summary.refresh()


def database_state(tmp_path: Path, name: str) -> dict:
    """Everything a bundle can carry, as the export writes it, with the coverage summary
    and the history rows counted by table and kind."""
    from commoncore.models import QualificationCoverage

    out = tmp_path / name
    bundle_export(path=out)
    state: dict = {sheet: sorted(map(tuple, map(dict.items, read_csv_sheet(out, sheet))))
                   for sheet in SHEET_NAMES}
    state["coverage"] = sorted(QualificationCoverage.objects.values_list(
        "qualification__ref", "area__framework__name", "area__number", "whole_possible",
        "whole_guaranteed", "elements_possible", "elements_guaranteed",
    ))
    state["history"] = {
        model._meta.label: sorted(model.objects.values_list("history_type", "history_change_reason"))
        for app in ("qualifications", "roles", "commoncore")
        for model in apps.get_app_config(app).get_models()
        if ".Historical" in model._meta.label
    }
    return state


def changed_full_bundle() -> Bundle:
    """The full bundle with titles, flags and a review changed, and rows added."""
    bundle = full_bundle()
    bundle["qualifications"][2][1] = "CACHE Level 3 Diploma in Family Support (2010)"
    bundle["modules"][1][4] = "Mandatory everywhere"
    bundle["qualification_modules"][2][2] = "yes"  # Q-NEW U-102 becomes mandatory
    bundle["qualification_modules"].append(["Q-ENTRY", "U-102", "no"])
    bundle["role_qualifications"][2][2] = "yes"
    bundle["mapping_reviews"][3][2] = "submitted"  # Q-ENTRY's draft is submitted
    bundle["attributes"].append(["", "6", "", "U-102"])
    return bundle


@pytest.mark.parametrize("second", [None, changed_full_bundle], ids=["create", "update"])
def test_set_based_import_gives_the_state_the_row_by_row_import_gives(
    tmp_path, bundle_users, second
):
    first_path = write_bundle(tmp_path / "bundle", full_bundle())
    paths = [first_path] + ([write_bundle(tmp_path / "second", second())] if second else [])
    with pytest.raises(_Undo), transaction.atomic():
        for path in paths:
            import_row_by_row(path)
        row_by_row = database_state(tmp_path, "row-by-row")
        raise _Undo

    for path in paths:
        bundle_import(path=path)

    assert database_state(tmp_path, "set-based") == row_by_row


@pytest.mark.parametrize("sheet", SHEET_NAMES)
def test_a_new_rows_instance_holds_what_the_model_itself_gives(sheet):
    from bundles.sheets import SHEETS

    resource = next(r for r in SHEETS if r.sheet == sheet)()
    model = resource._meta.model

    made, reference = resource.instance_factory()(), model()

    assert type(made) is model
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(reference).items() if k != "_state"}
    assert (made._state.adding, made._state.db) == (True, None)


@pytest.mark.parametrize("field, value", [
    ("title", ""), ("title", "t" * 256), ("title", "t" * 255), ("ref", "r" * 65),
    ("source", "s" * 201), ("notes", "n" * 10_000), ("source_url", "not a web address"),
    ("status", "archived"), ("status", ""), ("level", 12), ("learning_hours", -1),
])
def test_cleaning_a_row_refuses_what_the_model_refuses_with_its_message(field, value):
    # the oracle is Django's own Model.clean_fields over the same fields
    from qualifications.resources import QualificationResource

    def instance():
        q = Qualification(ref="Q1", title="Play", status="current")
        setattr(q, field, value)
        return q

    resource = QualificationResource()
    expected = {}
    try:
        instance().clean_fields(exclude=resource.clean_fields_exclude())
    except ValidationError as error:
        expected = resource.to_columns(error.message_dict)
    got = {}
    try:
        resource.clean_model_fields(instance())
    except ValidationError as error:
        got = error.message_dict

    assert got == expected
    assert bool(expected) == ((field, value) not in {("title", "t" * 255),
                                                      ("notes", "n" * 10_000)})


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_it_was(tmp_path):
    notes = "line one\nline two\ttabbed \\N back\\slash \\t\r\nend"
    path = write_bundle(tmp_path / "b", {"qualifications": [
        ["ref", "title", "notes"], ["Q1", "Play\\work", notes], ["Q2", "Empty notes", ""],
    ]})

    bundle_import(path=path)

    stored = {q.ref: (q.title, q.notes) for q in Qualification.objects.all()}
    # the CSV reader keeps \r\n inside a quoted cell; cleaning trims only the ends
    assert stored == {"Q1": ("Play\\work", notes), "Q2": ("Empty notes", "")}
    history = Qualification.history.get(ref="Q1")
    assert (history.title, history.notes, history.history_type) == ("Play\\work", notes, "+")


def test_imported_rows_get_ids_the_database_goes_on_from(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", {"qualifications": qualification_rows(3)}))

    later = QualificationFactory()

    assert later.pk > max(Qualification.objects.exclude(pk=later.pk).values_list("pk", flat=True))


def test_every_bad_row_of_a_sheet_is_named(tmp_path):
    rows = qualification_rows(5)
    rows[2][2] = "9"  # spreadsheet row 3
    rows[5][1] = ""  # spreadsheet row 6
    message = import_error(write_bundle(tmp_path / "b", {"qualifications": rows}))

    assert message.splitlines() == [
        "sheet qualifications: row 3, column level: '9' is not a level: use E, 1 to 8, "
        "or leave it empty",
        "sheet qualifications: row 6, column title: is empty; a value is required",
    ]


def test_a_bad_last_row_of_the_last_sheet_of_a_large_bundle_writes_nothing(tmp_path, bundle_users):
    bundle = sized_bundle(300)
    bundle["attributes"].append(["", "7", "Q0001", ""])
    path = write_bundle(tmp_path / "b", bundle)
    before = table_counts()

    message = import_error(path)

    assert message == f"sheet attributes: row {len(bundle['attributes'])}, column area: " \
        "Common Core of Skills and Knowledge (2005) has no area 7"
    assert table_counts() == before


def test_a_failure_after_every_sheet_is_written_writes_nothing(tmp_path, bundle_users,
                                                               monkeypatch):
    from commoncore import summary

    def fail(*args, **kwargs):
        raise RuntimeError("the summary could not be refreshed")

    monkeypatch.setattr(summary, "refresh", fail)
    before = table_counts()

    with pytest.raises(RuntimeError):
        bundle_import(path=write_bundle(tmp_path / "b", sized_bundle(50)))

    assert table_counts() == before


def sized_bundle(n: int) -> Bundle:
    """Every sheet with about ``n`` rows (three memberships per qualification)."""
    refs = [f"Q{i:04d}" for i in range(1, n + 1)]
    units = [f"U{i:04d}" for i in range(1, n + 1)]
    roles = [f"Role {i}" for i in range(1, n + 1)]
    providers = [f"Provider {i}" for i in range(1, n + 1)]
    return {
        "clusters": [["scheme", "cluster"]] + [["Services", f"Cluster {i}"] for i in range(n)],
        "roles": [["role", "level", "description"]] + [[r, "3", "A role"] for r in roles],
        "role_clusters": [["scheme", "cluster", "role"]] + [
            ["Services", f"Cluster {i}", r] for i, r in enumerate(roles)
        ],
        "qualification_types": [["name"], ["Forest School award"]],
        "awarding_bodies": [["name"], ["CACHE"]],
        "qualifications": [["ref", "title", "type", "awarding_body", "level", "learning_hours"]]
        + [[ref, f"Certificate {ref}", "NVQ", "CACHE", "2", "120"] for ref in refs],
        "modules": [["ref", "title", "level"]] + [[u, f"Unit {u}", "2"] for u in units],
        "qualification_modules": [["qualification_ref", "module_ref", "mandatory"]] + [
            [ref, units[(i + k) % n], "yes" if k == 0 else "no"]
            for i, ref in enumerate(refs) for k in range(3)
        ],
        "prerequisites": [["qualification_ref", "required_qualification_ref",
                           "required_module_ref"]] + [
            [ref, "", units[(i + 5) % n]] for i, ref in enumerate(refs)
        ],
        "role_qualifications": [["role", "qualification_ref", "key"]] + [
            [r, refs[i], "yes"] for i, r in enumerate(roles)
        ],
        "providers": [["name", "region", "url"]] + [[p, "London", ""] for p in providers],
        "offerings": [["provider", "qualification_ref", "course_hours", "mode", "cost"]] + [
            [p, refs[i], "100", "part-time", "450.00"] for i, p in enumerate(providers)
        ],
        "mapping_reviews": [["qualification_ref", "framework", "status", "mapped_by",
                             "moderated_by"]] + [[ref, "", "approved", MAPPER, MODERATOR]
                                                 for ref in refs],
        "attributes": [["framework", "area", "qualification_ref", "module_ref"]] + [
            ["", str(i % 6 + 1), ref, ""] for i, ref in enumerate(refs)
        ] + [["", str(i % 6 + 1), "", u] for i, u in enumerate(units)],
    }


def import_queries(tmp_path: Path, bundle: Bundle, name: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = write_bundle(tmp_path / name, bundle)
    with CaptureQueriesContext(connection) as queries:
        bundle_import(path=path)
    return len(queries)


def test_import_queries_do_not_grow_with_the_rows(tmp_path, bundle_users):
    # Per sheet: the rows already there, one query per table a column refers to, the
    # ids for the new rows, the rows and their history (one COPY or executemany each);
    # then the coverage summary and the import log. The same at 20 rows as at 200.
    counts = []
    for n in (20, 200):
        with pytest.raises(_Undo), transaction.atomic():
            counts.append(import_queries(tmp_path, sized_bundle(n), f"bundle-{n}"))
            assert Qualification.objects.count() == n
            raise _Undo
    small, large = counts

    assert large == small


def test_reimport_queries_do_not_grow_with_the_rows(tmp_path, bundle_users):
    def changed(bundle: Bundle) -> Bundle:
        for row in bundle["qualifications"][1:]:
            row[1] += " (revised)"
        return bundle

    counts = []
    for n in (20, 200):
        with pytest.raises(_Undo), transaction.atomic():
            bundle_import(path=write_bundle(tmp_path / f"first-{n}", sized_bundle(n)))
            counts.append(import_queries(tmp_path, changed(sized_bundle(n)), f"second-{n}"))
            assert Qualification.history.filter(history_type="~").count() == n
            raise _Undo

    assert counts[0] == counts[1]


@pytest.mark.parametrize("full_refresh_above", [20_000, 5], ids=["touched", "whole"])
def test_import_leaves_the_coverage_summary_as_a_full_rebuild_gives(
    tmp_path, bundle_users, monkeypatch, full_refresh_above
):
    # Above the threshold the import rebuilds the whole summary instead of finding the
    # qualifications its rows touch; either way the summary is what a rebuild gives.
    from commoncore import summary
    from commoncore.models import QualificationCoverage

    monkeypatch.setattr(summary, "FULL_REFRESH_ABOVE", full_refresh_above)
    bundle_import(path=write_bundle(tmp_path / "b", sized_bundle(30)))
    bundle_import(path=write_bundle(tmp_path / "c", changed_full_bundle()))
    imported = sorted(QualificationCoverage.objects.values_list(
        "qualification_id", "area_id", "whole_possible", "whole_guaranteed"))

    summary.refresh()

    assert imported == sorted(QualificationCoverage.objects.values_list(
        "qualification_id", "area_id", "whole_possible", "whole_guaranteed"))
    assert len(imported) >= 30


def test_imported_rows_never_take_the_id_of_a_deleted_row(tmp_path):
    # history rows name records by id: a new row under an old id would inherit its history
    gone = QualificationFactory()
    gone_id = gone.pk
    gone.delete()

    bundle_import(path=write_bundle(tmp_path / "b", {"qualifications": qualification_rows(2)}))

    assert min(Qualification.objects.values_list("pk", flat=True)) > gone_id


def estimated(table: str) -> float:
    """PostgreSQL's estimate of the table's rows, as its last ANALYZE left it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def analysed_empty(table: str) -> float:
    """Analyse the (empty) table, as a new database's is, and give its estimate. Another
    test's ANALYZE would otherwise linger: the estimate outlives a rolled-back transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return estimated(table)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_sheet_renews_its_table_statistics_before_the_refreshes_read_it(tmp_path, monkeypatch):
    from iqf.lib import resources

    monkeypatch.setattr(resources, "ANALYZE_ABOVE", 3)
    rows = [["ref", "title"]] + [[f"Q-STAT-{n}", f"Award {n}"] for n in range(5)]

    before = analysed_empty("qualifications_qualification")
    bundle_import(path=write_bundle(tmp_path / "big", {"qualifications": rows}))
    after_large = estimated("qualifications_qualification")
    bundle_import(path=write_bundle(tmp_path / "small", {"qualifications": rows[:3]}))

    assert before == 0
    assert after_large == Qualification.objects.count() == 5  # the import's own rows counted
    assert estimated("qualifications_qualification") == after_large  # nothing written: not renewed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_admin_upload_renews_its_table_statistics_too(monkeypatch):
    from iqf.lib import resources

    monkeypatch.setattr(resources, "ANALYZE_ABOVE", 3)
    clerk = client_for(person("Data clerk"))
    rows = "ref,title\r\n" + "".join(f"Q-ADM-{n},Award {n}\r\n" for n in range(5))

    before = analysed_empty("qualifications_qualification")
    admin_import(clerk, "qualifications.qualification", rows)
    after_large = estimated("qualifications_qualification")
    admin_import(clerk, "qualifications.qualification", "ref,title\r\nQ-ADM-9,Award 9\r\n")

    assert before == 0
    assert after_large == Qualification.objects.count() - 1 == 5
    assert estimated("qualifications_qualification") == after_large  # one row: not renewed
