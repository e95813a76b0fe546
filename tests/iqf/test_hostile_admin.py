"""Hostile input to the admin: its import screens (django-import-export with the bundle's
resources), its change forms and its actions. Each refused input gets a clear message
or a 4xx, leaves every table as it was, and never shows a traceback."""

import csv
import io
import time
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from commoncore.models import MappingReview, ReviewStatus
from qualifications.models import Provider, Qualification
from tests.support.factories import MappingReviewFactory, QualificationFactory, UserFactory
from tests.support.hostile import assert_clean_response, changed_tables, snapshot
from tests.support.pages import form_data, page_text

pytestmark = pytest.mark.django_db


def person(*groups: str):
    user = UserFactory()
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


@pytest.fixture
def clerk_client() -> Client:
    client = Client()
    client.force_login(person("Data clerk"))
    return client


def import_url(view: str = "import") -> str:
    return reverse(f"admin:qualifications_qualification_{view}")


def upload(client: Client, data: bytes, name: str, file_format: str = "csv"):
    """The first step of the admin import: the file and the format chosen."""
    form = client.get(import_url()).context["form"]
    choice = next(value for value, title in form.fields["format"].choices if title == file_format)
    handle = io.BytesIO(data)
    handle.name = name
    return client.post(import_url(), {"format": choice, "resource": "0", "import_file": handle})


def refused_upload(client: Client, data: bytes, name: str, file_format: str = "csv") -> str:
    """Upload a file that must be refused at the first step; the page's text."""
    before = snapshot()
    response = upload(client, data, name, file_format)
    assert_clean_response(response, status=200)
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert changed_tables(before) == []
    return page_text(response)


def confirm(client: Client, response):
    """The second step: confirm the import the first step previewed."""
    initial = response.context["confirm_form"].initial
    return client.post(import_url("process_import"), initial, follow=True)


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    workbook.active.title = "qualifications"
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- admin imports ---------------------------------------------------------------------

FORMULAE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]


def test_admin_import_stores_formula_payloads_literally_and_exports_them_neutralised(clerk_client):
    out = io.StringIO()
    csv.writer(out).writerows(
        [["ref", "title", "notes"]]
        + [[f"F{i}", f"Title {i}", f"x{payload}"] for i, payload in enumerate(FORMULAE)]
        + [[f"G{i}", payload, "n"] for i, payload in enumerate(FORMULAE[:4])]
    )
    rows = out.getvalue()

    preview = upload(clerk_client, rows.encode(), "qualifications.csv")
    done = confirm(clerk_client, preview)

    assert_clean_response(done, status=200)
    notes = dict(Qualification.objects.filter(ref__startswith="F").values_list("ref", "notes"))
    assert notes == {f"F{i}": f"x{payload}" for i, payload in enumerate(FORMULAE)}
    titles = dict(Qualification.objects.filter(ref__startswith="G").values_list("ref", "title"))
    assert titles == {f"G{i}": payload for i, payload in enumerate(FORMULAE[:4])}
    export = clerk_client.get(reverse("admin:qualifications_qualification_export"))
    choice = next(v for v, t in export.context["form"].fields["format"].choices if t == "xlsx")
    fields = {
        name: "on"
        for name, field in export.context["form"].fields.items()
        if getattr(field, "is_selectable_field", False)
    }
    workbook = load_workbook(
        io.BytesIO(
            clerk_client.post(
                reverse("admin:qualifications_qualification_export"),
                {"resource": "0", "format": choice, **fields},
            ).content
        )
    )
    cells = [c.value for row in workbook.active.iter_rows(min_row=2) for c in row]
    for payload in FORMULAE[:4]:
        assert "'" + payload in cells
        assert payload not in cells


def test_admin_import_of_a_cp1252_file_asks_for_utf8(clerk_client):
    page = refused_upload(clerk_client, "ref,title\r\nQ1,Café\r\n".encode("cp1252"), "q.csv")

    assert "The file is not UTF-8 (byte 18); save it as CSV UTF-8." in page


def test_admin_import_of_a_utf16_file_asks_for_utf8(clerk_client):
    page = refused_upload(clerk_client, "ref,title\r\nQ1,Café\r\n".encode("utf-16"), "q.csv")

    assert "The file is UTF-16; save it as CSV UTF-8." in page


def test_admin_import_of_a_nul_byte_is_refused(clerk_client):
    page = refused_upload(clerk_client, b"ref,title\r\nQ1,Pl\x00ay\r\n", "q.csv")

    assert "The file contains NUL characters." in page


def test_admin_import_of_a_bad_level_names_the_row_and_column(clerk_client):
    data = b"ref,title,level\r\nQ1,Play,2\r\nQ2,Care,III\r\n"

    page = refused_upload(clerk_client, data, "q.csv")

    # the preview lists the bad row with its cells, the column and the reason
    assert "level 'III' is not a level: use E, 1 to 8, or leave it empty Q2 Care" in page


def test_admin_import_preview_numbers_bad_rows_as_the_file_does(clerk_client):
    # header on line 1: Q2 is on line 3, the repeated Q1 on line 5, repeating line 2
    data = b"ref,title,level\r\nQ1,Play,2\r\nQ2,Care,III\r\nQ3,Cook,2\r\nQ1,Play again,2\r\n"

    response = upload(clerk_client, data, "q.csv")

    rows = {row.number: row.error_dict for row in response.context["result"].invalid_rows}
    assert sorted(rows) == [3, 5]
    assert rows[3]["level"] == ["'III' is not a level: use E, 1 to 8, or leave it empty"]
    assert rows[5]["ref"][0].startswith("repeats row 2 ")


def test_admin_import_errors_outside_validation_are_numbered_as_the_file_does():
    from import_export.results import Error, RowResult

    from bundles.resources import SpreadsheetResult

    result = SpreadsheetResult(lambda number: number + 1)
    for failing in (False, True, False, True):
        row = RowResult()
        if failing:
            row.errors.append(Error(ValueError("broken")))
        result.append_row_result(row)

    assert [number for number, _ in result.row_errors()] == [3, 5]
    result.append_error_row(4, {}, [Error(ValueError("broken"))])
    assert [row.number for row in result.error_rows] == [5]


BAD_KEYS = ["abc", "1/change", "9" * 30, "-1", "1.5"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_history_of_a_key_that_names_no_record_is_not_found(clerk_client, key):
    QualificationFactory()
    before = snapshot()

    response = clerk_client.get(reverse("admin:qualifications_qualification_history", args=[key]))

    assert_clean_response(response, status=404)
    assert changed_tables(before) == []


@pytest.mark.parametrize("key", [key for key in BAD_KEYS if "/" not in key])
def test_an_old_version_page_with_a_bad_key_or_version_is_refused_cleanly(clerk_client, key):
    qualification = QualificationFactory()
    version = qualification.history.get().pk
    before = snapshot()

    for args in ([key, version], [qualification.pk, key]):
        url = reverse("admin:qualifications_qualification_simple_history", args=args)
        assert_clean_response(clerk_client.get(url), status=404)
        assert_clean_response(clerk_client.post(url, {"title": "Changed"}), status=404)
    assert changed_tables(before) == []


def test_admin_import_of_an_unclosed_quote_is_refused(clerk_client):
    page = refused_upload(clerk_client, b'ref,title\r\nQ1,"Play\r\n', "q.csv")

    assert "the file is not valid CSV" in page


def test_admin_import_of_a_lookalike_ref_updates_the_record_it_looks_like(clerk_client):
    QualificationFactory(ref="Q1", title="Old")

    preview = upload(clerk_client, "ref,title\r\nQ\u200b1,New\r\n".encode(), "q.csv")
    assert_clean_response(confirm(clerk_client, preview), status=200)

    assert list(Qualification.objects.values_list("ref", "title")) == [("Q1", "New")]


def test_admin_import_of_a_decompression_bomb_is_refused_before_it_is_read(clerk_client):
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        chunk = b" " * (16 * 1024 * 1024)
        for _ in range(32):
            part.write(chunk)

    page = refused_upload(clerk_client, out.getvalue(), "bomb.xlsx", "xlsx")

    assert "The workbook unpacks to 536870912 bytes; the limit is 209715200." in page


def test_admin_import_of_a_workbook_with_macros_is_refused(clerk_client):
    base = zipfile.ZipFile(io.BytesIO(workbook_bytes([["ref", "title"], ["Q1", "Play"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in base.infolist():
            archive.writestr(info, base.read(info.filename))
        archive.writestr("xl/vbaProject.bin", b"macro")

    page = refused_upload(clerk_client, out.getvalue(), "q.xlsx", "xlsx")

    assert ("The workbook contains macros; save it as an Excel Workbook (.xlsx) without macros.") in page


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"ref,title\r\nQ1,Play\r\n",
    ],
    ids=["png-as-xlsx", "csv-as-xlsx"],
)
def test_admin_import_of_a_file_that_is_not_a_workbook_is_refused(clerk_client, data):
    page = refused_upload(clerk_client, data, "q.xlsx", "xlsx")

    assert "Not an XLSX workbook." in page


def test_admin_import_of_a_workbook_sent_as_csv_says_what_it_is(clerk_client):
    data = workbook_bytes([["ref", "title"], ["Q1", "Play"]])

    page = refused_upload(clerk_client, data, "q.csv", "csv")

    assert (
        "The file is an XLSX workbook, not CSV; import it as a workbook named .xlsx, or save it as CSV UTF-8."
    ) in page


def test_admin_import_of_deeply_nested_json_is_refused(clerk_client):
    data = b"[" * 100_000 + b"]" * 100_000

    page = refused_upload(clerk_client, data, "q.json", "json")

    assert "The file cannot be read as json: check that the format chosen is the file's." in page


def test_admin_import_of_a_semicolon_separated_file_says_so(clerk_client):
    page = refused_upload(clerk_client, b"ref;title\r\nQ1;Play\r\n", "q.csv")

    assert (
        "The columns are separated by semicolons; save the file as CSV UTF-8, whose "
        "columns are separated by commas."
    ) in page


def test_admin_import_of_an_entity_declaration_is_refused(clerk_client):
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "Play">]><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
    )
    base = zipfile.ZipFile(io.BytesIO(workbook_bytes([["ref"], ["Q1"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in base.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else base.read(info.filename)
            archive.writestr(info, data)

    page = refused_upload(clerk_client, out.getvalue(), "q.xlsx", "xlsx")

    assert (
        "The workbook cannot be read: it is damaged, or holds XML that a spreadsheet does not write."
    ) in page


def test_admin_import_of_ten_thousand_rows_with_one_bad_row_writes_nothing(clerk_client):
    rows = "ref,title,level\r\n" + "".join(
        f"Q{n:05d},Certificate {n},{'nine' if n == 7_777 else '2'}\r\n" for n in range(1, 10_001)
    )

    page = refused_upload(clerk_client, rows.encode(), "q.csv")

    assert "level 'nine' is not a level: use E, 1 to 8, or leave it empty Q07777" in page


def test_admin_import_of_a_million_trailing_blank_rows_is_quick(clerk_client):
    data = b"ref,title\r\nQ1,Play\r\n" + b",\r\n" * 1_000_000
    started = time.perf_counter()

    preview = upload(clerk_client, data, "q.csv")
    assert_clean_response(confirm(clerk_client, preview), status=200)

    # both steps read the file: a few seconds on two cores
    assert time.perf_counter() - started < 20
    assert list(Qualification.objects.values_list("ref", flat=True)) == ["Q1"]


def test_admin_import_keeps_leading_zeros_of_a_text_code(clerk_client):
    preview = upload(clerk_client, workbook_bytes([["ref", "title"], ["00123", "Play"]]), "q.xlsx", "xlsx")
    assert_clean_response(confirm(clerk_client, preview), status=200)

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["00123"]


def test_admin_import_of_a_workbook_with_data_on_two_sheets_says_so(clerk_client):
    workbook = Workbook()
    workbook.active.title = "qualifications"
    workbook.active.append(["ref", "title"])
    workbook.active.append(["Q1", "Play"])
    workbook.create_sheet("More").append(["Q2", "Care"])
    out = io.BytesIO()
    workbook.save(out)

    page = refused_upload(clerk_client, out.getvalue(), "q.xlsx", "xlsx")

    assert (
        "The workbook has data on 2 sheets (qualifications, More); an import reads one "
        "sheet: keep only the sheet to import."
    ) in page


def test_admin_import_keeps_leading_zeros_shown_by_a_number_format(clerk_client):
    workbook = Workbook()
    workbook.active.append(["ref", "title"])
    workbook.active.append([123, "Play"])
    workbook.active["A2"].number_format = "00000"
    out = io.BytesIO()
    workbook.save(out)

    preview = upload(clerk_client, out.getvalue(), "q.xlsx", "xlsx")
    assert_clean_response(confirm(clerk_client, preview), status=200)

    assert list(Qualification.objects.values_list("ref", flat=True)) == ["00123"]


@pytest.mark.parametrize(
    "confirm_data",
    [
        {"import_file_name": "does-not-exist", "original_file_name": "q.csv", "format": "0"},
        {"import_file_name": "../../etc/passwd", "original_file_name": "q.csv", "format": "0"},
        {"import_file_name": "x", "original_file_name": "q.csv", "format": "abc"},
        {"import_file_name": "x", "original_file_name": "q.csv", "format": "99"},
    ],
    ids=["missing-file", "path-traversal", "format-not-a-number", "format-out-of-range"],
)
def test_forged_or_replayed_import_confirmation_is_refused(clerk_client, confirm_data):
    before = snapshot()

    response = clerk_client.post(import_url("process_import"), {"resource": "0", **confirm_data})

    assert_clean_response(response, status=400)
    assert "Upload the file again" in response.content.decode()
    assert changed_tables(before) == []


def test_confirming_the_same_import_twice_imports_once_and_refuses_the_second(clerk_client):
    preview = upload(clerk_client, b"ref,title\r\nQ1,Play\r\n", "q.csv")
    initial = preview.context["confirm_form"].initial
    clerk_client.post(import_url("process_import"), initial)
    before = snapshot()

    again = clerk_client.post(import_url("process_import"), initial)

    assert_clean_response(again, status=400)
    assert changed_tables(before) == []
    assert Qualification.objects.count() == 1


# -- change forms ----------------------------------------------------------------------


def change_form(client: Client, qualification):
    url = reverse("admin:qualifications_qualification_change", args=[qualification.pk])
    return url, form_data(client.get(url))


@pytest.mark.parametrize("field,length", [("ref", 64), ("title", 255), ("source", 200)])
def test_one_character_over_the_limit_is_a_form_error_and_saves_nothing(clerk_client, field, length):
    qualification = QualificationFactory(ref="Q1", title="Play")
    url, data = change_form(clerk_client, qualification)
    data[field] = "x" * (length + 1)
    before = snapshot()

    response = clerk_client.post(url, data)

    assert_clean_response(response, status=200)
    assert f"Ensure this value has at most {length} characters (it has {length + 1})." in page_text(response)
    assert changed_tables(before) == []


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "vbscript:msgbox(1)",
    ],
)
def test_script_address_in_a_url_field_is_refused(clerk_client, url):
    qualification = QualificationFactory(ref="Q1", title="Play")
    form_url, data = change_form(clerk_client, qualification)
    data["source_url"] = url
    before = snapshot()

    response = clerk_client.post(form_url, data)

    assert_clean_response(response, status=200)
    assert "Enter a valid URL." in page_text(response)
    assert changed_tables(before) == []


def test_script_address_in_a_bundle_provider_url_is_refused(tmp_path):
    from bundles.services import bundle_import
    from bundles.sheets import BundleError

    (tmp_path / "providers.csv").write_bytes(b"name,url\r\nCollege,javascript:alert(1)\r\n")
    before = snapshot()

    with pytest.raises(BundleError) as caught:
        bundle_import(path=tmp_path)

    assert "sheet providers: row 2, column url: Enter a valid URL." in caught.value.messages
    assert changed_tables(before) == []
    assert not Provider.objects.exists()


# -- actions ---------------------------------------------------------------------------


def post_approve(client: Client, ids: list[int]):
    return client.post(
        reverse("admin:commoncore_mappingreview_changelist"),
        {"action": "approve", "index": "0", "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


@pytest.fixture
def moderator_and_grids():
    moderator = person("Moderator", "Mapper")
    own = [MappingReviewFactory(submitted=True, mapped_by=moderator).pk for _ in range(3)]
    others = [MappingReviewFactory(submitted=True).pk for _ in range(3)]
    client = Client()
    client.force_login(moderator)
    return client, own + others


def test_approve_posted_for_990_grids_including_ones_own_approves_nothing(moderator_and_grids):
    # the admin has no approve action: grids are approved one by one, on the moderation
    # page, by someone other than their mapper
    client, grids = moderator_and_grids
    with CaptureQueriesContext(connection) as few:
        post_approve(client, grids)
    before = snapshot()

    with CaptureQueriesContext(connection) as many:
        response = post_approve(client, grids + list(range(10_000, 10_984)))

    # the changelist has no actions, so the post is ignored and the list shown again
    page = assert_clean_response(response, status=200)
    assert 'name="action"' not in page
    assert changed_tables(before) == []
    assert not MappingReview.objects.filter(status=ReviewStatus.APPROVED).exists()
    assert len(many) == len(few)


def test_approve_posted_for_over_a_thousand_grids_is_a_400(moderator_and_grids):
    client, grids = moderator_and_grids
    before = snapshot()

    response = post_approve(client, grids + list(range(10_000, 10_995)))

    assert_clean_response(response, status=400)
    assert changed_tables(before) == []


def test_moderating_ones_own_grid_is_refused_with_a_message():
    moderator = person("Moderator", "Mapper")
    review = MappingReviewFactory(submitted=True, mapped_by=moderator)
    client = Client()
    client.force_login(moderator)
    before = snapshot()

    response = client.post(
        reverse("admin:commoncore_moderate", args=[review.pk]),
        {"_approve": "1", "version": str(review.version)},
        follow=True,
    )

    assert_clean_response(response, status=200)
    assert "You mapped this grid, so another moderator must review it." in page_text(response)
    assert changed_tables(before) == []
