"""Helpers the tests of reports share."""

import csv
import io
import warnings

from openpyxl import load_workbook

from tests.support.factories import (
    AttributeFactory,
    ClusterSchemeFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
)
from tests.support.pages import tables_of

REPORT_NAMES = ["provision", "coverage", "module-areas", "role-gaps", "level-gaps"]
#: a spreadsheet runs or reinterprets a cell starting with one of these
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")


def download(client, name: str, fmt: str = "csv", table: str | None = None, **query):
    path = f"/reports/{name}.{fmt}" if table is None else f"/reports/{name}/{table}.{fmt}"
    return client.get(path, query)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(client, name: str, table: str | None = None, **query) -> list[list[str]]:
    """The CSV download as a spreadsheet would read it: header first."""
    response = download(client, name, "csv", table, **query)
    assert response.status_code == 200, body(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheet(client, name: str, table: str | None = None, **query):
    response = download(client, name, "xlsx", table, **query)
    assert response.status_code == 200, body(response)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes about styles are not our concern
        workbook = load_workbook(io.BytesIO(body(response)))
    return workbook.worksheets[0]


def xlsx_rows(client, name: str, table: str | None = None, **query) -> list[list[str]]:
    """The XLSX download's cells as text (a number as its digits, an empty cell as "")."""
    sheet = xlsx_sheet(client, name, table, **query)
    return [
        ["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)
    ]


def page_tables(client, name: str, **query) -> list[dict]:
    response = client.get(f"/reports/{name}/", query)
    assert response.status_code == 200
    tables = tables_of(response)
    for table in tables:
        # an empty table shows one cell saying so; a download of it has no rows at all
        if table["rows"] == [["No rows for these parameters."]]:
            table["rows"] = []
    return tables


def as_spreadsheet_text(cell: str) -> str:
    """What a download must hold for a cell the page shows: dangerous starts neutralised."""
    return "'" + cell if cell.startswith(DANGEROUS) else cell


def scheme_default(**kwargs):
    return ClusterSchemeFactory(is_default=True, **kwargs)


def role_in(title: str, *clusters):
    role = RoleFactory(title=title)
    for cluster in clusters:
        RoleClusterFactory(role=role, cluster=cluster)
    return role


def link(role, qualification, key: bool = False):
    RoleQualificationFactory(role=role, qualification=qualification, is_key=key)


def module_judged(module, *numbers):
    for number in numbers:
        AttributeFactory(qualification=None, module=module, area=default_area(number))
