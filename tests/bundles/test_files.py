"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

import pytest

from bundles.services import bundle_import
from qualifications.models import (
    Offering,
    Prerequisite,
    Qualification,
)
from tests.support.bundles import (
    BASE_QUALIFICATION,
    by_sheet,
    import_error,
    write_bundle,
    write_raw,
)

pytestmark = pytest.mark.django_db


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
    path = write_bundle(
        tmp_path / "b", {"qualifications": [["ref", "title", "colour"], ["Q1", "Play", "red"]]}
    )

    message = import_error(path)

    assert "sheet qualifications: row 1, column 3: unknown column 'colour'" in message


def test_duplicate_column_is_an_error_naming_row_1(tmp_path):
    path = write_bundle(
        tmp_path / "b", {"qualifications": [["ref", "title", "title"], ["Q1", "Play", "Play"]]}
    )

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
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "level"],
                ["  Q1  ", "  Diploma in Play ", " 3 "],
            ]
        },
    )

    bundle_import(path=path)

    qualification = Qualification.objects.get()
    assert (qualification.ref, qualification.title, qualification.level) == ("Q1", "Diploma in Play", 3)


def test_same_key_twice_in_a_sheet_is_an_error_naming_both_rows(tmp_path):
    # spreadsheet rows: 1 header, 2 Q1, 3 Q2, 4 q1 (the same key ignoring case)
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title"],
                ["Q1", "Play"],
                ["Q2", "Care"],
                ["q1", "Play again"],
            ]
        },
    )

    message = import_error(path)

    assert message.startswith("sheet qualifications: row 4, column ref:")
    assert "row 2" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value", ["1,234.5", "1e999", "NaN", "-5", "12.5"])
def test_bad_learning_hours_are_refused(tmp_path, value):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "learning_hours"],
                ["Q1", "Play", value],
            ]
        },
    )

    message = import_error(path)

    assert "sheet qualifications: row 2, column learning_hours:" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value", ["1,234.5", "1e999", "NaN", "-5", "Infinity"])
def test_bad_cost_is_refused(tmp_path, value):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": BASE_QUALIFICATION,
            "providers": [["name"], ["Leeds College"]],
            "offerings": [
                ["provider", "qualification_ref", "mode", "cost"],
                ["Leeds College", "Q1", "", value],
            ],
        },
    )

    message = import_error(path)

    assert "sheet offerings: row 2, column cost:" in message
    assert not Offering.objects.exists()


def test_cost_in_pounds_is_stored(tmp_path):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": BASE_QUALIFICATION,
            "providers": [["name"], ["Leeds College"]],
            "offerings": [
                ["provider", "qualification_ref", "mode", "cost"],
                ["Leeds College", "Q1", "", "£1234.50"],
            ],
        },
    )

    bundle_import(path=path)

    assert str(Offering.objects.get().cost) == "1234.50"


@pytest.mark.parametrize("value", ["0", "9", "III", "Level 3"])
def test_bad_level_is_refused(tmp_path, value):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "level"],
                ["Q1", "Play", value],
            ]
        },
    )

    message = import_error(path)

    assert "sheet qualifications: row 2, column level:" in message
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("value, level", [("E", 0), ("e", 0), ("1", 1), ("8", 8), ("", None)])
def test_good_levels_are_stored(tmp_path, value, level):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "level"],
                ["Q1", "Play", value],
            ]
        },
    )

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
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": BASE_QUALIFICATION,
            "roles": [["role"], ["Childminder"]],
            "role_qualifications": [["role", "qualification_ref", "key"], ["Childminder", "Q1", "maybe"]],
        },
    )

    message = import_error(path)

    assert "sheet role_qualifications: row 2, column key:" in message


def test_prerequisite_naming_both_a_qualification_and_a_module_is_refused(tmp_path):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [["ref", "title"], ["Q1", "Play"], ["Q2", "Care"]],
            "modules": [["ref", "title"], ["U1", "Unit"]],
            "prerequisites": [
                ["qualification_ref", "required_qualification_ref", "required_module_ref"],
                ["Q1", "Q2", "U1"],
            ],
        },
    )

    message = import_error(path)

    assert "sheet prerequisites: row 2, column required_qualification_ref: fill exactly one" in (message)


def test_prerequisite_requiring_its_own_qualification_is_refused(tmp_path):
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [["ref", "title"], ["Q1", "Play"]],
            "prerequisites": [
                ["qualification_ref", "required_qualification_ref", "required_module_ref"],
                ["Q1", "Q1", ""],
            ],
        },
    )

    message = import_error(path)

    assert "cannot require itself" in message
    assert not Prerequisite.objects.exists()
