"""Helpers the tests of pages_qualifications share."""

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualifications.models import Qualification
from tests.support.factories import (
    AttributeFactory,
    MappingReviewFactory,
    default_area,
)
from tests.support.pages import page_text

AREA_TITLES = {
    1: "Effective communication and engagement with children, young people, their families and carers",
    2: "Child and young person development",
    3: "Safeguarding and promoting the welfare of the child",
    4: "Supporting transitions",
    5: "Multi-agency working",
    6: "Sharing information",
}


def text(response) -> str:
    """The page's words, with no space left before punctuation."""
    return re.sub(r" ([.,;:])", r"\1", page_text(response))


def rows(response) -> list[str]:
    """The text of every table row, in page order."""
    found = re.findall(r"<tr\b.*?</tr>", response.content.decode(), flags=re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip() for row in found]


def row_with(response, words: str, *, start: bool = False) -> str:
    """The one table row containing (or, with ``start``, starting with) the words."""
    matching = [row for row in rows(response) if (row.startswith(words) if start else words in row)]
    assert len(matching) == 1, f"{len(matching)} rows contain {words!r}"
    return matching[0]


def hrefs(response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', response.content.decode())]


def checkbox_counts(response, name: str) -> dict[str, int]:
    """A checkbox facet's values and the counts their labels show."""
    pattern = (
        rf'name="{name}" type="checkbox" value="([^"]*)"[^>]*>\s*<label[^>]*>.*?'
        r"\((\d+)\)</span>\s*</label>"
    )
    return {html.unescape(v): int(n) for v, n in re.findall(pattern, response.content.decode(), flags=re.S)}


def select_counts(response, name: str) -> dict[str, int]:
    """A select facet's values (but the empty one) and the counts their options show."""
    block = re.search(rf'<select[^>]*name="{name}".*?</select>', response.content.decode(), flags=re.S)
    assert block, f"no select named {name}"
    return {
        html.unescape(v): int(n)
        for v, n in re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+)\)</option>', block.group(0))
    }


def result_titles(response) -> list[str]:
    """The titles of the finder's results, in order."""
    pattern = r'<h3 class="govuk-heading-s[^"]*"><a [^>]*>([^<]*)</a></h3>'
    return [html.unescape(t) for t in re.findall(pattern, response.content.decode())]


def finder(client, query: str = ""):
    return client.get(reverse("qualifications:finder") + (f"?{query}" if query else ""))


def detail_url(qualification) -> str:
    return reverse("qualifications:qualification-detail", args=[qualification.ref])


def module_url(module) -> str:
    return reverse("qualifications:module-detail", args=[module.ref])


def mapped(qualification):
    MappingReviewFactory(qualification=qualification, approved=True)
    return qualification


def covers(subject, *numbers: int) -> None:
    """Published judgements that the module (or the qualification) covers the areas."""
    for number in numbers:
        if isinstance(subject, Qualification):
            AttributeFactory(qualification=subject, area=default_area(number))
        else:
            AttributeFactory(qualification=None, module=subject, area=default_area(number))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)
