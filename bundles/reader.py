"""Reading a bundle: a folder of CSV files, one CSV file or one XLSX workbook, into its
sheets of text cells, each row numbered as a spreadsheet shows it. A file is checked
(iqf.lib.upload) before its rows are read; every problem is a BundleError that names the
sheet, the row and the column."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bundles.sheets import SHEET_NAMES, BundleError, Sheet, columns
from iqf.lib.upload import MACRO_EXTENSIONS, UnreadableFile, check_workbook, csv_text, xlsx_cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _sheet_from_rows(name: str, rows: Iterator[list[str]]) -> Sheet:
    errors: list[str] = []
    try:
        header = next(rows)
    except StopIteration:
        return Sheet(name, [], [], [])
    headers = [h.strip().lstrip("\ufeff") for h in header]
    while headers and headers[-1] == "":
        headers.pop()
    allowed = columns(name)
    if len(headers) == 1 and ";" in headers[0]:
        raise BundleError(
            [
                f"sheet {name}: row 1: the columns are separated by semicolons; "
                "save the file as CSV UTF-8, whose columns are separated by commas"
            ]
        )
    for position, title in enumerate(headers, start=1):
        if title not in allowed:
            errors.append(
                f"sheet {name}: row 1, column {position}: unknown column {title!r}; "
                f"the columns are {', '.join(allowed)}"
            )
        elif headers.index(title) != position - 1:
            errors.append(f"sheet {name}: row 1, column {position}: column {title!r} appears twice")
    data, numbers = [], []
    for number, row in enumerate(rows, start=2):
        # any(row) first: a blank row (a million of them, say) is skipped at C speed
        if not any(row) or not any(c is not None and str(c).strip() for c in row):
            continue
        cells = row if all(type(c) is str for c in row) else [_cell(c) for c in row]
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
            errors.append(
                f"sheet {name}: row {number}: the row has {len(cells)} cells but the header "
                f"has {len(headers)} columns"
            )
            continue
        if len(cells) != len(headers):
            cells = (cells + [""] * len(headers))[: len(headers)]
        data.append(cells)
        numbers.append(number)
    if errors:
        raise BundleError(errors)
    return Sheet(name, headers, data, numbers)


def _csv_rows(reader, name: str) -> Iterator[list[str]]:
    """The reader's rows, one at a time; broken quoting is a BundleError."""
    try:
        yield from reader
    except csv.Error as error:
        raise BundleError(
            [
                f"sheet {name}: line {reader.line_num}: the file is not valid CSV "
                f"({error}); check for a quote that is opened and never closed"
            ]
        ) from None


def _read_csv(path: Path, name: str) -> Sheet:
    try:
        text = csv_text(path.read_bytes())
    except UnreadableFile as error:
        raise BundleError([f"sheet {name}: {error}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    return _sheet_from_rows(name, _csv_rows(reader, name))


def _read_xlsx(path: Path) -> dict[str, Sheet]:
    try:
        check_workbook(path)
    except UnreadableFile as error:
        raise BundleError([f"{path.name}: {error}"]) from None
    unreadable = BundleError(
        [
            f"{path.name}: the workbook cannot be read: it is damaged, or "
            "holds XML that a spreadsheet does not write (such as entity "
            "declarations)"
        ]
    )
    sheets = {}
    errors = []
    # openpyxl leaves the file open when it fails, so the file is opened and closed here
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise unreadable from None
        try:
            for worksheet in workbook.worksheets:
                if worksheet.title not in SHEET_NAMES:
                    errors.append(
                        f"sheet {worksheet.title}: not a bundle sheet; the sheets are "
                        f"{', '.join(SHEET_NAMES)}"
                    )
                    continue
                rows = ([_cell(xlsx_cell(c)) for c in row] for row in worksheet.iter_rows())
                try:
                    sheets[worksheet.title] = _sheet_from_rows(worksheet.title, rows)
                except BundleError as error:
                    errors.extend(error.messages)
        except BundleError:
            raise
        except Exception:  # a sheet's XML is read, and may break, only now
            raise unreadable from None
        finally:
            workbook.close()
    if errors:
        raise BundleError(errors)
    return sheets


def read_bundle(path: Path) -> dict[str, Sheet]:
    """Read every sheet of a bundle (folder of CSV files, or an .xlsx workbook)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in MACRO_EXTENSIONS:
        raise BundleError(
            [
                f"{path.name}: a workbook that can carry macros is never imported; "
                "save it as an Excel Workbook (.xlsx) without macros"
            ]
        )
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        sheet = path.stem
        if sheet not in SHEET_NAMES:
            raise BundleError([f"{path.name}: not a bundle sheet; the sheets are {', '.join(SHEET_NAMES)}"])
        return {sheet: _read_csv(path, sheet)}
    if not path.is_dir():
        raise BundleError([f"{path}: no such folder or .xlsx workbook"])
    errors, sheets = [], {}
    for file in sorted(path.glob("*.csv")):
        if file.stem not in SHEET_NAMES:
            errors.append(f"{file.name}: not a bundle sheet; the sheets are {', '.join(SHEET_NAMES)}")
            continue
        try:
            sheets[file.stem] = _read_csv(file, file.stem)
        except BundleError as error:
            errors.extend(error.messages)
    if errors:
        raise BundleError(errors)
    if not sheets:
        raise BundleError([f"{path}: the folder holds no bundle sheets ({', '.join(SHEET_NAMES)})"])
    return sheets
