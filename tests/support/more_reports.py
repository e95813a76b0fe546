"""Helpers the tests of reports_extra share."""

import csv
import io

from django.http import QueryDict

from reports.params import read_params
from reports.registry import REPORTS
from tests.support.factories import (
    AttributeFactory,
    MappingReviewFactory,
    QualificationModuleFactory,
    default_area,
)
from tests.support.pages import tables_of

NAMES = ["coverage-by-level", "coverage-by-cluster", "over-provision", "shared-modules"]
LEVEL_CODES = ["E", "1", "2", "3", "4", "5", "6", "7", "8"]


def page_tables(client, name: str, query: str = "") -> list[list[list[str]]]:
    response = client.get(f"/reports/{name}/?{query}")
    assert response.status_code == 200
    return [table["rows"] for table in tables_of(response)]


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def build(name: str, query: str = ""):
    params, _ = read_params(QueryDict(query))
    return REPORTS[name].build(params)


def as_text(rows) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in rows]


def publish(qualification, *, accepted: bool = False):
    if accepted:
        MappingReviewFactory(qualification=qualification, accepted=True)
    else:
        MappingReviewFactory(qualification=qualification, approved=True)


def member(qualification, module, mandatory: bool = True):
    QualificationModuleFactory(qualification=qualification, module=module, mandatory=mandatory)


def judge(module, *numbers: int):
    for number in numbers:
        AttributeFactory(qualification=None, module=module, area=default_area(number))
