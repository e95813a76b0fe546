"""The analysts' report pages and their CSV and XLSX downloads (DESIGN.md §5).

The page, the CSV and the XLSX of a report render the same ``Result`` for the same query
string, so a download holds exactly what the page shows. The page shows the main table
100 rows at a time (its summaries, charts and notes count every row); the downloads hold
every row, the CSV streamed from the database as it is written."""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from django.core.paginator import Page
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from iqf.lib.pagecache import cached_page
from iqf.lib.paging import PageLink, page_links, page_number, paginate
from iqf.lib.safe_csv import neutralise
from reports.base import BAR_ROW, Chart, Row, as_at, place_bars, place_heatmap
from reports.params import ParameterError, ReportFilter, read_params
from reports.registry import REPORTS, Report, Result, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: rows of the main table on one page
PER_PAGE = 100


def _report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise Http404(f"There is no report called {name!r}.") from None


def _bad_request(
    request: HttpRequest, report: Report, messages: list[str], filterset: ReportFilter
) -> HttpResponse:
    html = render_to_string(
        "reports/report.html",
        {
            "report": report,
            "errors": messages,
            "filterset": filterset,
            "crumbs": [("Reports", "/reports/"), (report.title, None)],
        },
        request=request,
    )
    return HttpResponseBadRequest(html)


@dataclass(frozen=True)
class ShownRow:
    cells: Row
    total: bool


@dataclass(frozen=True)
class ShownTable:
    """A table as the page shows it: every row of a summary; one page of the main table,
    with the page, its links and how many rows the table has in all."""

    table: Table
    rows: list[ShownRow]
    count: int
    page: Page | None = None
    links: list[PageLink] | None = None

    @property
    def body(self) -> SafeString:
        """The rows as table rows: written here rather than by template loops, since a
        summary may have thousands of rows and a template spends microseconds per tag."""
        numeric = self.table.numeric
        classes = [
            f"govuk-table__cell{' govuk-table__cell--numeric' if i in numeric else ''}"
            for i in range(len(self.table.columns))
        ]
        lines = []
        for row in self.rows:
            cells = "".join(
                f'<td class="{classes[i]}">{escape(cell)}</td>' for i, cell in enumerate(row.cells)
            )
            total = " iqf-total" if row.total else ""
            lines.append(f'<tr class="govuk-table__row{total}">{cells}</tr>')
        return mark_safe("\n".join(lines))  # every cell is escaped above


class _PageWindow(Sequence):
    """A table's row count, and the rows of one page collected while counting: all that
    :func:`paginate` asks of the rows, without holding the others."""

    def __init__(self, count: int, rows: list[ShownRow]):
        self._count = count
        self._rows = rows

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        # the paginator asks only for the slice of the page it was given
        return self._rows if isinstance(index, slice) else self._rows[index]


def _one_page(table: Table, number: int) -> ShownTable:
    """Stream the table's rows once: count them and keep those of page ``number`` (past
    the last page: a 404)."""
    first = (number - 1) * PER_PAGE
    kept: list[ShownRow] = []
    count = 0
    for index, row in enumerate(table.rows):
        if first <= index < first + PER_PAGE:
            kept.append(ShownRow(row, table.is_total(index, row)))
        count += 1
    page = paginate(_PageWindow(count, kept), number, PER_PAGE)
    return ShownTable(table, kept, count, page, page_links(page))


def _whole(table: Table) -> ShownTable:
    rows = [ShownRow(row, table.is_total(index, row)) for index, row in enumerate(table.rows)]
    return ShownTable(table, rows, len(rows))


def _chart_of_page(chart: Chart, main: ShownTable) -> Chart:
    """A chart with one row per row of the main table shows the rows of the page shown."""
    if not chart.per_table_row or main.page is None or main.page.paginator.num_pages == 1:
        return chart
    first, last = main.page.start_index() - 1, main.page.end_index()
    return replace(chart, rows=chart.rows[first:last], cells=chart.cells[first:last])


def _without_page(query: QueryDict) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
@cached_page
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {
            "reports": list(REPORTS.values()),
            "crumbs": [("Reports", None)],
        },
    )


@require_safe
@cached_page
def page(request: HttpRequest, name: str) -> HttpResponse:
    """The report's notes, charts and tables; the main table one page at a time."""
    report = _report(name)
    try:
        params, filterset = read_params(request.GET)
    except ParameterError as error:
        return _bad_request(request, report, error.messages, error.filterset)
    try:
        number = page_number(request.GET.get("page"))
    except ValueError as error:
        return _bad_request(request, report, [f"Page: {error}"], filterset)
    result = report.build(params)
    main = _one_page(result.main, number)
    charts = []
    for chart in result.charts:
        shown = _chart_of_page(chart, main)
        charts.append(
            {
                "chart": shown,
                "bars": place_bars(shown),
                "height": len(shown.bars) * BAR_ROW + 8,
                "heatmap": place_heatmap(shown),
                "of_page": shown is not chart,
            }
        )
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "result": result,
            "charts": charts,
            "params": params,
            "filterset": filterset,
            "main": main,
            "summaries": [_whole(table) for table in result.summaries],
            "page": main.page,
            "page_links": main.links,
            "as_at": as_at(params),
            "query": _without_page(request.GET),
            "crumbs": [("Reports", "/reports/"), (report.title, None)],
        },
    )


def _result(request: HttpRequest, name: str) -> tuple[Report, Result] | HttpResponse:
    report = _report(name)
    try:
        params, _ = read_params(request.GET)
    except ParameterError as error:
        return HttpResponseBadRequest("\n".join(error.messages), content_type="text/plain")
    return report, report.build(params)


def _table(result: Result, slug: str | None) -> Table:
    table = result.main if slug is None else result.table(slug)
    if table is None:
        raise Http404("This report has no such table.")
    return table


#: how much CSV text the download gathers before sending it on: one write per chunk,
#: not per row, while still never holding more than this of the table
CSV_CHUNK = 64 * 1024


def _csv_chunks(table: Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in table.columns])
    yield buffer.getvalue()  # the header at once, before the rows are asked for
    buffer.seek(0)
    buffer.truncate()
    for row in table.rows:
        writer.writerow([neutralise(c) for c in row])
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


@require_safe
def download_csv(request: HttpRequest, name: str, table: str | None = None) -> HttpResponseBase:
    found = _result(request, name)
    if isinstance(found, HttpResponse):
        return found
    report, result = found
    chosen = _table(result, table)
    response = StreamingHttpResponse(_csv_chunks(chosen), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chosen.slug}.csv"'
    return response


@require_safe
def download_xlsx(request: HttpRequest, name: str, table: str | None = None) -> HttpResponse:
    found = _result(request, name)
    if isinstance(found, HttpResponse):
        return found
    report, result = found
    chosen = _table(result, table)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(chosen.slug[:31])
    sheet.append(chosen.columns)
    for row in chosen.rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value if isinstance(value, int) else neutralise(value))
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{chosen.slug}.xlsx"'
    return response
