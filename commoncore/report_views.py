"""The analysts' report pages and their CSV and XLSX downloads (DESIGN.md §5).

The page, the CSV and the XLSX of a report render the same ``Result`` for the same query
string, so a download holds exactly what the page shows."""

import csv
import io
from collections.abc import Iterator

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from commoncore.reports import REPORTS, Report, Result, Table
from commoncore.reports.base import BAR_ROW, as_at, place_bars, place_heatmap
from commoncore.reports.params import ParameterError, read_params
from iqf.lib.safe_csv import neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise Http404(f"There is no report called {name!r}.") from None


def _bad_request(request: HttpRequest, report: Report, error: ParameterError) -> HttpResponse:
    html = render_to_string("reports/report.html", {
        "report": report, "errors": error.messages, "filterset": error.filterset,
        "crumbs": [("Reports", "/reports/"), (report.title, None)],
    }, request=request)
    return HttpResponseBadRequest(html)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {
        "reports": list(REPORTS.values()), "crumbs": [("Reports", None)],
    })


@require_GET
def page(request: HttpRequest, name: str) -> HttpResponse:
    report = _report(name)
    try:
        params, filterset = read_params(request.GET)
    except ParameterError as error:
        return _bad_request(request, report, error)
    result = report.build(params)
    charts = [{"chart": chart, "bars": place_bars(chart), "height": len(chart.bars) * BAR_ROW + 8,
               "heatmap": place_heatmap(chart)}
              for chart in result.charts]
    return render(request, "reports/report.html", {
        "report": report, "result": result, "charts": charts, "params": params, "filterset": filterset,
        "as_at": as_at(params), "query": request.GET.urlencode(),
        "crumbs": [("Reports", "/reports/"), (report.title, None)],
    })


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([neutralise(c) for c in table.columns])
    for row in table.rows:
        yield writer.writerow([neutralise(c) for c in row])


@require_GET
def download_csv(request: HttpRequest, name: str, table: str | None = None) -> HttpResponse:
    found = _result(request, name)
    if isinstance(found, HttpResponse):
        return found
    report, result = found
    chosen = _table(result, table)
    response = StreamingHttpResponse(_csv_lines(chosen), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chosen.slug}.csv"'
    return response


@require_GET
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
