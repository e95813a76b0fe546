"""Paging a public list: the page number from the query string, the page of rows, and the
GOV.UK pagination links."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

#: Rows on a page of a public list, unless the page says otherwise.
PER_PAGE = 20


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: an ellipsis
    current: bool = False


def page_number(raw: str | None) -> int:
    """The ``page`` parameter: empty means 1; anything but a whole number from 1 is a
    ValueError with a message for the reader."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValueError(f"“{raw}” is not a page number: use a whole number, 1 or more")
    return int(raw)


class CountedPaginator(Paginator):
    """A paginator told the number of rows, for lists whose count is already known (the
    finder sums it from its facet counts) or is kept elsewhere: no ``COUNT(*)`` query."""

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def paginate(
    queryset: QuerySet | Sequence, number: int, per_page: int = PER_PAGE, count: int | None = None
) -> Page:
    """The page of ``per_page`` rows; past the last page is a 404 (an empty first page is
    a page). ``count``, when known, saves counting the rows again."""
    paginator = (
        Paginator(queryset, per_page) if count is None else CountedPaginator(queryset, per_page, count)
    )
    if number > paginator.num_pages:
        raise Http404("There is no such page of results.")
    return paginator.page(number)


def page_links(page: Page) -> list[PageLink]:
    """The first, last, current and neighbouring pages, with ellipses between (GOV.UK
    pagination)."""
    last = page.paginator.num_pages
    wanted = sorted({1, last, page.number - 1, page.number, page.number + 1} & set(range(1, last + 1)))
    links: list[PageLink] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            links.append(PageLink(None))
        links.append(PageLink(number, number == page.number))
        previous = number
    return links
