"""What a report returns, and the registry of reports.

A report is a function of the cleaned parameters returning a :class:`Result`: a main
table (the rows of DESIGN.md §5) and any summary tables, each made of plain strings and
numbers, so that the page, the CSV and the XLSX all render the very same cells.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max

from commoncore.models import PUBLISHED_STATUSES, MappingReview
from commoncore.reports.params import Params

Cell = str | int


@dataclass(frozen=True)
class Table:
    slug: str
    caption: str
    columns: list[str]
    rows: list[tuple[Cell, ...]]
    #: headings shown on the page (the CSV header uses ``columns``)
    headings: list[str] = field(default_factory=list)
    #: indexes of the columns holding numbers (right-aligned on the page)
    numeric: frozenset[int] = frozenset()
    #: indexes of the rows that are totals (shown in bold)
    totals: frozenset[int] = frozenset()

    @property
    def labels(self) -> list[str]:
        return self.headings or self.columns


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0–1
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)
    #: a heatmap: row labels, column labels, values 0–1 and their texts
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cells: list[list[tuple[float, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class PlacedBar:
    label: str
    text: str
    y: int
    width: int


BAR_ROW, BAR_LEFT, BAR_WIDTH = 32, 260, 300


def place_bars(chart: Chart) -> list[PlacedBar]:
    """Where each bar of a bar chart goes in its SVG (the template only draws them)."""
    return [PlacedBar(bar.label, bar.text, i * BAR_ROW, round(bar.value * BAR_WIDTH))
            for i, bar in enumerate(chart.bars)]


@dataclass(frozen=True)
class Result:
    main: Table
    summaries: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, slug: str) -> Table | None:
        return next((t for t in [self.main, *self.summaries] if t.slug == slug), None)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    question: str
    build: Callable[[Params], Result]
    #: parameters the report reads (the others are ignored, as §5 allows)
    uses: tuple[str, ...]


REPORTS: dict[str, Report] = {}


def report(name: str, title: str, question: str, uses: tuple[str, ...]):
    def register(build: Callable[[Params], Result]) -> Callable[[Params], Result]:
        REPORTS[name] = Report(name, title, question, build, uses)
        return build
    return register


def share(part: int, whole: int) -> str:
    """A share 0–1 written with four decimal places, as §5 asks."""
    return f"{part / whole:.4f}" if whole else "0.0000"


def as_at(params: Params) -> datetime | None:
    """The time of the latest approval or acceptance the report includes."""
    return MappingReview.objects.filter(
        framework=params.framework, status__in=PUBLISHED_STATUSES,
    ).aggregate(latest=Max("published_at"))["latest"]
