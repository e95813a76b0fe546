"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

import pytest
from openpyxl import load_workbook

from bundles.services import bundle_import
from bundles.writer import bundle_export
from commoncore.models import Attribute, MappingReview
from qualifications.models import (
    Qualification,
)
from tests.support.bundles import (
    CORE_2010,
    MAPPER,
    MODERATOR,
    Bundle,
    by_sheet,
    import_error,
    read_csv_sheet,
    write_bundle,
)
from tests.support.factories import QualificationFactory

pytestmark = pytest.mark.django_db


# -- published judgements and moderation --------------------------------------------


def mapping_bundle(review_status: str, attribute: list[str] | None = None, moderator: str = "") -> Bundle:
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


def test_attribute_for_a_qualification_with_only_a_draft_review_is_refused(tmp_path, bundle_users):
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


def test_attribute_for_a_module_of_an_approved_qualification_is_accepted(tmp_path, bundle_users):
    path = write_bundle(tmp_path / "b", mapping_bundle("approved", ["", "4", "", "U1"], moderator=MODERATOR))

    bundle_import(path=path)

    attribute = Attribute.objects.select_related("area__framework", "module").get()
    assert (attribute.module.ref, attribute.area.number) == ("U1", 4)
    assert attribute.area.framework.is_default


def test_attribute_for_a_qualification_with_an_accepted_review_is_linked_to_it(tmp_path, bundle_users):
    path = write_bundle(tmp_path / "b", mapping_bundle("accepted", ["", "2", "Q1", ""]))

    bundle_import(path=path)

    attribute = Attribute.objects.get()
    assert attribute.review == MappingReview.objects.get(qualification__ref="Q1")


def test_approved_review_moderated_by_its_mapper_is_refused(tmp_path, bundle_users):
    path = write_bundle(tmp_path / "b", mapping_bundle("approved", ["", "1", "Q1", ""], moderator=MAPPER))

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


def test_attribute_for_a_module_mapped_only_for_another_framework_is_refused(tmp_path, bundle_users):
    bundle = mapping_bundle("accepted", [CORE_2010, "1", "", "U1"])  # review: default framework

    message = import_error(write_bundle(tmp_path / "b", bundle))

    assert "sheet attributes: row 2, column module_ref:" in message


def test_attribute_needs_exactly_one_subject(tmp_path, bundle_users):
    bundle = mapping_bundle("accepted", ["", "1", "Q1", "U1"])

    message = import_error(write_bundle(tmp_path / "b", bundle))

    assert "sheet attributes: row 2, column qualification_ref: fill exactly one" in message


def test_attribute_area_written_twice_with_a_leading_zero_is_a_duplicate_row(tmp_path, bundle_users):
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
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'=1",
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
    cells = {row[header.index("ref")].value: row for row in sheet.iter_rows(min_row=2)}
    title = cells["Q-F1"][header.index("title")]
    notes = cells["Q-F2"][header.index("notes")]
    assert (title.value, title.data_type) == ("'" + HYPERLINK, "s")
    assert (notes.value, notes.data_type) == ("'+1", "s")
