"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bundles.services import bundle_import
from bundles.sheets import BundleError
from qualifications.models import (
    Qualification,
)
from qualifications.services import likely_duplicates_of_qualification
from roles.models import ClusterScheme, Role
from tests.support.bundles import (
    BASE_QUALIFICATION,
    Bundle,
    Rows,
    by_sheet,
    full_bundle,
    import_error,
    qualification_rows,
    table_counts,
    write_bundle,
    write_raw,
)
from tests.support.factories import QualificationFactory

pytestmark = pytest.mark.django_db


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
    second = write_bundle(tmp_path / "b", {"qualifications": [["ref", "title"], ["Q1", "Playwork"]]})
    bundle_import(path=first)

    summaries = by_sheet(bundle_import(path=second))

    qualification = Qualification.objects.get(ref="Q1")
    assert summaries["qualifications"] == (0, 1, 0)
    assert qualification.title == "Playwork"
    assert [h.title for h in qualification.history.order_by("history_id")] == ["Play", "Playwork"]


def test_reimport_with_a_column_left_out_keeps_that_column(tmp_path):
    first = write_bundle(
        tmp_path / "a", {"qualifications": [["ref", "title", "notes"], ["Q1", "Play", "Keep me"]]}
    )
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
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "source_url"],
                ["Q1", "Play", "javascript:alert(1)"],
            ]
        },
    )

    message = import_error(path)

    assert "sheet qualifications: row 2, column source_url:" in message
    assert not Qualification.objects.exists()


def test_qualification_superseded_by_itself_is_refused(tmp_path):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "status", "superseded_by"],
                ["Q1", "Play", "superseded", "q1"],
            ]
        },
    )

    message = import_error(path)

    assert "sheet qualifications: row 2, column superseded_by: names the qualification itself" in (message)


def test_qualifications_superseding_each_other_are_refused(tmp_path):
    # Q-A is superseded by Q-B and Q-B by Q-A: neither leads to a current qualification.
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "status", "superseded_by"],
                ["Q-A", "Play", "superseded", "Q-B"],
                ["Q-B", "Playwork", "superseded", "Q-A"],
            ]
        },
    )

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
        "qualifications",
        "type",
        "Unicorn diploma",
    ),
    "awarding body": (
        {"qualifications": [["ref", "title", "awarding_body"], ["Q1", "Play", "Nobody"]]},
        "qualifications",
        "awarding_body",
        "Nobody",
    ),
    "cluster": (
        {**CLUSTER_AND_ROLE, "role_clusters": [ROLE_CLUSTER, ["S", "Late Years", "Childminder"]]},
        "role_clusters",
        "cluster",
        "Late Years",
    ),
    "cluster scheme": (
        {**CLUSTER_AND_ROLE, "role_clusters": [ROLE_CLUSTER, ["Nope", "Early Years", "Childminder"]]},
        "role_clusters",
        "cluster",
        "Nope",
    ),
    "role": (
        {
            "qualifications": BASE_QUALIFICATION,
            "role_qualifications": [ROLE_QUALIFICATION, ["Astronaut", "Q1", "yes"]],
        },
        "role_qualifications",
        "role",
        "Astronaut",
    ),
    "qualification ref": (
        {
            "roles": [["role"], ["Childminder"]],
            "role_qualifications": [ROLE_QUALIFICATION, ["Childminder", "Q-NOPE", "yes"]],
        },
        "role_qualifications",
        "qualification_ref",
        "Q-NOPE",
    ),
    "module ref": (
        {
            "qualifications": BASE_QUALIFICATION,
            "qualification_modules": [["qualification_ref", "module_ref"], ["Q1", "U-NOPE"]],
        },
        "qualification_modules",
        "module_ref",
        "U-NOPE",
    ),
    "provider": (
        {
            "qualifications": BASE_QUALIFICATION,
            "offerings": [["provider", "qualification_ref", "mode"], ["Nowhere", "Q1", ""]],
        },
        "offerings",
        "provider",
        "Nowhere",
    ),
    "region": (
        {"providers": [["name", "region"], ["Leeds College", "Atlantis"]]},
        "providers",
        "region",
        "Atlantis",
    ),
    "username": (
        {
            "qualifications": BASE_QUALIFICATION,
            "mapping_reviews": [
                ["qualification_ref", "framework", "status", "mapped_by"],
                ["Q1", "", "draft", "ghost"],
            ],
        },
        "mapping_reviews",
        "mapped_by",
        "ghost",
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
    path = write_bundle(
        tmp_path / "bundle",
        {
            "qualification_types": [["name"], ["Forest School award"]],
            "awarding_bodies": [["name"], ["Open College Network"]],
            "qualifications": [
                ["ref", "title", "type", "awarding_body"],
                ["Q1", "Forest School Leader", "Forest School award", "Open College Network"],
            ],
        },
    )

    bundle_import(path=path)

    qualification = Qualification.objects.select_related("qualification_type", "awarding_body").get(ref="Q1")
    assert qualification.qualification_type.name == "Forest School award"
    assert qualification.awarding_body.name == "Open College Network"


def test_row_may_refer_to_what_already_exists_in_the_database(tmp_path):
    QualificationFactory(ref="Q-EXISTING")
    path = write_bundle(
        tmp_path / "bundle",
        {
            "roles": [["role"], ["Childminder"]],
            "role_qualifications": [
                ["role", "qualification_ref", "key"],
                ["Childminder", "q-existing", "yes"],
            ],
        },
    )

    bundle_import(path=path)

    role = Role.objects.get(title="Childminder")
    assert list(role.qualification_links.values_list("qualification__ref", "is_key")) == [
        ("Q-EXISTING", True)
    ]


def test_superseded_by_a_ref_defined_nowhere_is_an_error(tmp_path):
    path = write_bundle(
        tmp_path / "bundle",
        {
            "qualifications": [
                ["ref", "title", "status", "superseded_by"],
                ["Q1", "Old award", "superseded", "Q-GHOST"],
            ],
        },
    )

    message = import_error(path)

    assert "sheet qualifications: row 2, column superseded_by:" in message
