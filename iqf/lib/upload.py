"""What an uploaded file must be before its rows are read: CSV that is UTF-8 text, or a
workbook whose zip directory promises a bounded, macro-free, self-contained file. The
bundle reader and the admin's import formats both check a file here first."""

import csv
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

#: Decompressed size above which a workbook is refused before it is parsed.
MAX_XLSX_BYTES = 200 * 1024 * 1024
#: Extensions of workbooks that can carry macros: never imported.
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlsb", ".xla", ".xlam")
#: A number format that pads a whole number with zeros ("00000"): the cell shows a code
#: such as 00123 that the spreadsheet stored as the number 123.
_ZERO_PADDED = re.compile(r"0+")


def _looks_like_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte order mark: mostly-ASCII text with a NUL byte beside every
    character."""
    sample = raw[:2000]
    return len(sample) >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 4


class UnreadableFile(ValueError):
    """A file refused before its rows are read; the message says why, for a person."""


def csv_text(raw: bytes) -> str:
    """The text of a CSV file's bytes: UTF-8, a BOM tolerated. Anything else (another
    encoding, a workbook, NUL characters) is an UnreadableFile."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(raw):
        raise UnreadableFile("the file is UTF-16; save it as CSV UTF-8")
    if raw.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "the file is an XLSX workbook, not CSV; import it as a workbook "
            "named .xlsx, or save it as CSV UTF-8"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not UTF-8 (byte {error.start + 1}); save it as CSV UTF-8"
        ) from None
    if "\x00" in text:
        raise UnreadableFile("the file contains NUL characters")
    # A cell cannot be longer than the file; the module's default limit (128 kB) would
    # refuse long notes, which the database holds whole.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    return text


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
            raise UnreadableFile(
                f"the workbook holds a part named {info.filename!r}, outside the workbook; it cannot be read"
            )
        if name.name.lower() == "vbaproject.bin":
            raise UnreadableFile(
                "the workbook contains macros; save it as an Excel Workbook (.xlsx) without macros"
            )


def xlsx_cell(cell) -> Any:
    """A workbook cell's value; a whole number shown zero-padded (format 00000) is the
    code the spreadsheet shows, as text."""
    value = cell.value
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and value >= 0
        and _ZERO_PADDED.fullmatch(getattr(cell, "number_format", "") or "")
    ):
        return str(int(value)).zfill(len(cell.number_format))
    return value
