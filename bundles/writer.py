"""Writing a bundle: every sheet, as a folder of CSV files or one XLSX workbook, each cell
neutralised so that a spreadsheet never runs it as a formula."""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bundles.sheets import SHEETS
from iqf.lib.safe_csv import neutralise, write_csv


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
