"""Formula-safe CSV writing: every export goes through here.

A cell that a spreadsheet would run as a formula or read as a text marker (one starting
with =, +, -, @, tab, carriage return or an apostrophe) gets one leading apostrophe,
as spreadsheets themselves do; imports remove one leading apostrophe again.
"""

import csv
from collections.abc import Iterable
from typing import IO, Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(value: Any) -> str:
    text = value if type(value) is str else "" if value is None else str(value)
    if text.startswith(DANGEROUS_STARTS):
        return "'" + text
    return text


def write_csv(handle: IO[str], headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
