"""Bundles: the whole database's content as a folder of CSV files or one XLSX workbook.

``bundle_import`` reads every sheet, imports them in dependency order inside one
transaction and rolls everything back on the first bad row; ``bundle_export`` writes
every sheet. Both use the resources the admin's import/export screens use: each
sheet's rows are checked by the same ``validate_row`` as the admin's imports, then
written set-based with their history (``BundleResource.import_rows``).
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import DatabaseError, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from commoncore import summary as coverage_summary
from commoncore.models import BundleImport
from commoncore.resources import AttributeResource, MappingReviewResource
from iqf.lib.resources import BundleResource, RowsInvalid, cell_text
from iqf.lib.safe_csv import neutralise, write_csv
from qualifications.models import Module, Qualification
from qualifications.resources import (
    AwardingBodyResource,
    ModuleResource,
    OfferingResource,
    PrerequisiteResource,
    ProviderResource,
    QualificationModuleResource,
    QualificationResource,
    QualificationTypeResource,
    module_lookup,
    qualification_lookup,
)
from roles.resources import (
    ClusterResource,
    RoleClusterResource,
    RoleQualificationResource,
    RoleResource,
)

SHEETS: list[type[BundleResource]] = [
    ClusterResource,
    RoleResource,
    RoleClusterResource,
    QualificationTypeResource,
    AwardingBodyResource,
    QualificationResource,
    ModuleResource,
    QualificationModuleResource,
    PrerequisiteResource,
    RoleQualificationResource,
    ProviderResource,
    OfferingResource,
    MappingReviewResource,
    AttributeResource,
]
SHEET_NAMES = [resource.sheet for resource in SHEETS]
#: Decompressed size above which a workbook is refused before it is parsed.
MAX_XLSX_BYTES = 200 * 1024 * 1024
#: Extensions of workbooks that can carry macros: never imported.
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlsb", ".xla", ".xlam")
#: A number format that pads a whole number with zeros ("00000"): the cell shows a code
#: such as 00123 that the spreadsheet stored as the number 123.
_ZERO_PADDED = re.compile(r"0+")


class BundleError(Exception):
    """A bundle that cannot be imported; ``messages`` says where and why."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: list[str]
    rows: list[list[str]]
    #: the spreadsheet row number of each data row (the header is row 1)
    row_numbers: list[int]


@dataclass(frozen=True)
class SheetSummary:
    sheet: str
    created: int
    updated: int
    unchanged: int


# -- reading -------------------------------------------------------------------------


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
    allowed = _columns(name)
    if len(headers) == 1 and ";" in headers[0]:
        raise BundleError([f"sheet {name}: row 1: the columns are separated by semicolons; "
                           "save the file as CSV UTF-8, whose columns are separated by commas"])
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
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
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


def _columns(sheet: str) -> list[str]:
    resource = next(r for r in SHEETS if r.sheet == sheet)
    return resource.columns()


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte order mark: mostly-ASCII text with a NUL byte beside every
    character."""
    sample = raw[:2000]
    return len(sample) >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 4


def _csv_rows(reader, name: str) -> Iterator[list[str]]:
    """The reader's rows, one at a time; broken quoting is a BundleError."""
    try:
        yield from reader
    except csv.Error as error:
        raise BundleError([f"sheet {name}: line {reader.line_num}: the file is not valid CSV "
                           f"({error}); check for a quote that is opened and never closed"]) from None


class UnreadableFile(ValueError):
    """A file refused before its rows are read; the message says why, for a person."""


def csv_text(raw: bytes) -> str:
    """The text of a CSV file's bytes: UTF-8, a BOM tolerated. Anything else (another
    encoding, a workbook, NUL characters) is an UnreadableFile."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(raw):
        raise UnreadableFile("the file is UTF-16; save it as CSV UTF-8")
    if raw.startswith(b"PK\x03\x04"):
        raise UnreadableFile("the file is an XLSX workbook, not CSV; import it as a workbook "
                             "named .xlsx, or save it as CSV UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"the file is not UTF-8 (byte {error.start + 1}); save it as CSV "
                             "UTF-8") from None
    if "\x00" in text:
        raise UnreadableFile("the file contains NUL characters")
    # A cell cannot be longer than the file; the module's default limit (128 kB) would
    # refuse long notes, which the database holds whole.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    return text


def _read_csv(path: Path, name: str) -> Sheet:
    try:
        text = csv_text(path.read_bytes())
    except UnreadableFile as error:
        raise BundleError([f"sheet {name}: {error}"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    return _sheet_from_rows(name, _csv_rows(reader, name))


def check_workbook(source) -> None:
    """Refuse a workbook from its zip directory alone, before a byte is decompressed: one
    that is not a zip, unpacks to more than MAX_XLSX_BYTES, names a part outside itself
    or carries macros. ``source`` is a path or a binary file."""
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise UnreadableFile("not an XLSX workbook") from None
    size = sum(info.file_size for info in parts)
    if size > MAX_XLSX_BYTES:
        raise UnreadableFile(f"the workbook unpacks to {size} bytes; the limit is {MAX_XLSX_BYTES}")
    for info in parts:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts:
            raise UnreadableFile(f"the workbook holds a part named {info.filename!r}, outside the "
                                 "workbook; it cannot be read")
        if name.name.lower() == "vbaproject.bin":
            raise UnreadableFile("the workbook contains macros; save it as an Excel Workbook "
                                 "(.xlsx) without macros")


def xlsx_cell(cell) -> Any:
    """A workbook cell's value; a whole number shown zero-padded (format 00000) is the
    code the spreadsheet shows, as text."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer() \
            and value >= 0 and _ZERO_PADDED.fullmatch(getattr(cell, "number_format", "") or ""):
        return str(int(value)).zfill(len(cell.number_format))
    return value


def _read_xlsx(path: Path) -> dict[str, Sheet]:
    try:
        check_workbook(path)
    except UnreadableFile as error:
        raise BundleError([f"{path.name}: {error}"]) from None
    unreadable = BundleError([f"{path.name}: the workbook cannot be read: it is damaged, or "
                              "holds XML that a spreadsheet does not write (such as entity "
                              "declarations)"])
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
                    errors.append(f"sheet {worksheet.title}: not a bundle sheet; the sheets are "
                                  f"{', '.join(SHEET_NAMES)}")
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
        raise BundleError([f"{path.name}: a workbook that can carry macros is never imported; "
                           "save it as an Excel Workbook (.xlsx) without macros"])
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        sheet = path.stem
        if sheet not in SHEET_NAMES:
            raise BundleError([f"{path.name}: not a bundle sheet; the sheets are "
                               f"{', '.join(SHEET_NAMES)}"])
        return {sheet: _read_csv(path, sheet)}
    if not path.is_dir():
        raise BundleError([f"{path}: no such folder or .xlsx workbook"])
    errors, sheets = [], {}
    for file in sorted(path.glob("*.csv")):
        if file.stem not in SHEET_NAMES:
            errors.append(f"{file.name}: not a bundle sheet; the sheets are "
                          f"{', '.join(SHEET_NAMES)}")
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


# -- importing -----------------------------------------------------------------------


def _messages(sheet: Sheet, resource: BundleResource, invalid: RowsInvalid) -> list[str]:
    columns = set(resource.columns())
    messages = []
    for number, errors in invalid.rows:
        for field, texts in errors.items():
            where = f", column {field}" if field in columns else ""
            for text in texts:
                messages.append(
                    f"sheet {sheet.name}: row {resource.spreadsheet_row(number)}{where}: {text}"
                )
    return messages


def bundle_import(*, path: Path, user=None, dry_run: bool = False,
                  demonstration: bool = False) -> list[SheetSummary]:
    """Import a bundle, all or nothing. Raises BundleError naming every bad row of the
    first sheet that has one; with ``dry_run`` nothing is written either way. An import
    that writes something is logged; ``demonstration`` marks the illustrative data set."""
    sheets = read_bundle(path)
    reason = f"Bundle import from {Path(path).name}" + ("" if user else " (system)")
    summaries = []
    lookups: dict = {}  # shared by the sheets; see BundleResource.shared_lookup
    with transaction.atomic():
        for resource_class in SHEETS:
            sheet = sheets.get(resource_class.sheet)
            if sheet is None or not sheet.headers:
                continue
            missing = [c for c in resource_class.key_columns if c not in sheet.headers]
            if missing:
                raise BundleError([f"sheet {sheet.name}: row 1: missing column "
                                   f"{', '.join(missing)}"])
            resource = resource_class(user=user, change_reason=reason, lookups=lookups)
            resource.spreadsheet_rows = sheet.row_numbers
            try:
                created, updated, unchanged = resource.import_rows(sheet.headers, sheet.rows)
            except RowsInvalid as invalid:
                raise BundleError(_messages(sheet, resource, invalid)) from None
            except (ValueError, DatabaseError) as error:  # a rule over the whole sheet
                raise BundleError([f"sheet {sheet.name}: {error}"]) from None
            lookups.pop(resource_class._meta.model, None)  # its rows have changed
            summaries.append(SheetSummary(sheet.name, created, updated, unchanged))
        if dry_run:
            transaction.set_rollback(True)
        else:
            coverage_summary.refresh(_touched_qualifications(sheets, lookups))
            _log_import(path, user, summaries, demonstration)
    return summaries


def _touched_qualifications(sheets: dict[str, Sheet], lookups: dict) -> set[int] | None:
    """The qualifications whose coverage the imported memberships and judgements may
    change: those named by a qualification_modules or attributes row, and those that
    contain a module an attributes row names. None (all of them) when the rows name so
    many that rebuilding the whole summary costs less than finding them."""
    qualification_refs: set[str] = set()
    module_refs: set[str] = set()
    for name, refs, column in [
        (QualificationModuleResource.sheet, qualification_refs, "qualification_ref"),
        (AttributeResource.sheet, qualification_refs, "qualification_ref"),
        (AttributeResource.sheet, module_refs, "module_ref"),
    ]:
        sheet = sheets.get(name)
        if sheet is not None and column in sheet.headers:
            position = sheet.headers.index(column)
            refs.update(cell_text(row[position]) for row in sheet.rows)
    if len(qualification_refs) + len(module_refs) > coverage_summary.FULL_REFRESH_ABOVE:
        return None
    qualifications = lookups.get(Qualification) or qualification_lookup()
    modules = lookups.get(Module) or module_lookup()
    found = {qualifications.get(ref) for ref in qualification_refs if ref}
    ids = {q.pk for q in found if q is not None}
    module_ids = {m.pk for m in (modules.get(ref) for ref in module_refs if ref) if m is not None}
    return ids | coverage_summary.affected_by_modules(module_ids)


def _log_import(path: Path, user, summaries: list[SheetSummary], demonstration: bool) -> None:
    created = sum(s.created for s in summaries)
    updated = sum(s.updated for s in summaries)
    if created or updated:
        BundleImport.objects.create(name=Path(path).name, imported_by=user, created=created,
                                    updated=updated, demonstration=demonstration)


# -- exporting -----------------------------------------------------------------------


def bundle_export(*, path: Path) -> list[tuple[str, int]]:
    """Write every sheet: an .xlsx path gives a workbook, anything else a folder of CSVs."""
    path = Path(path)
    counts = []
    if path.suffix.lower() == ".xlsx":
        workbook = Workbook(write_only=True)
        for resource_class in SHEETS:
            headers, rows = resource_class().export_rows()
            worksheet = workbook.create_sheet(resource_class.sheet)
            worksheet.append(headers)
            n = 0
            for row in rows:
                cells = []
                for value in row:
                    cell = WriteOnlyCell(worksheet, value=neutralise(value))
                    cell.data_type = "s"
                    cells.append(cell)
                worksheet.append(cells)
                n += 1
            counts.append((resource_class.sheet, n))
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
        return counts
    path.mkdir(parents=True, exist_ok=True)
    for resource_class in SHEETS:
        headers, rows = resource_class().export_rows()
        counted = _Counted(rows)
        with open(path / f"{resource_class.sheet}.csv", "w", encoding="utf-8", newline="") as handle:
            write_csv(handle, headers, counted)
        counts.append((resource_class.sheet, counted.n))
    return counts


class _Counted:
    """Passes rows through, counting them."""

    def __init__(self, rows):
        self.rows = rows
        self.n = 0

    def __iter__(self):
        for row in self.rows:
            self.n += 1
            yield row
