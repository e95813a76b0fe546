"""What a report returns, and the registry of reports.

A report is a function of the cleaned parameters returning a :class:`Result`: a main
table (the rows of DESIGN.md §5) and any summary tables, each made of plain strings and
numbers, so that the page, the CSV and the XLSX all render the very same cells.

A table with many rows holds them as :class:`Rows`: produced from the database only when
iterated, a chunk at a time, so that a download streams them without ever holding them
all, and the page keeps only the rows of the page it shows.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from commoncore.models import MappingReview
from reports.params import Params

CellValue = str | int
Row = tuple[CellValue, ...]

#: the rows a database cursor fetches at a time when a table's rows are streamed
CHUNK = 2000


class Rows:
    """A table's rows, produced by ``produce`` each time they are iterated (so iterating
    twice asks the database twice): the rows of a large table are never all in memory."""

    def __init__(self, produce: Callable[[], Iterator[Row]]):
        self._produce = produce

    def __iter__(self) -> Iterator[Row]:
        return self._produce()


@dataclass(frozen=True)
class Table:
    slug: str
    caption: str
    columns: list[str]
    rows: Iterable[Row]
    #: headings shown on the page (the CSV header uses ``columns``)
    headings: list[str] = field(default_factory=list)
    #: indexes of the columns holding numbers (right-aligned on the page)
    numeric: frozenset[int] = frozenset()
    #: indexes of the rows that are totals (shown in bold)
    totals: frozenset[int] = frozenset()
    #: for rows produced as a stream, whose positions are not known in advance: whether a
    #: row is a total
    total_row: Callable[[Row], bool] | None = None

    @property
    def labels(self) -> list[str]:
        return self.headings or self.columns

    def is_total(self, index: int, row: Row) -> bool:
        return index in self.totals or (self.total_row is not None and self.total_row(row))


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
    #: a heatmap's key: sample values 0–1 and what they stand for (default: five shares)
    legend: list[tuple[float, str]] = field(default_factory=list)
    #: a heatmap with one row per row of the main table, in its order: the page draws the
    #: rows of the page of the table it shows
    per_table_row: bool = False


@dataclass(frozen=True)
class PlacedBar:
    label: str
    text: str
    y: int
    width: int


BAR_ROW, BAR_LEFT, BAR_WIDTH = 32, 260, 300


def place_bars(chart: Chart) -> list[PlacedBar]:
    """Where each bar of a bar chart goes in its SVG (the template only draws them)."""
    return [
        PlacedBar(bar.label, bar.text, i * BAR_ROW, round(bar.value * BAR_WIDTH))
        for i, bar in enumerate(chart.bars)
    ]


# A heatmap shades each cell by its value in five steps of GOV.UK blue (tint 95, 80, 50,
# 25, shade 25), with its text in the colour that contrasts with the fill by at least
# 4.5:1 (WCAG AA); the text, not the colour, carries the number.
HEAT_STEPS: list[tuple[float, str, str]] = [
    (0.2, "#f4f8fb", "#0b0c0c"),
    (0.4, "#d2e2f1", "#0b0c0c"),
    (0.6, "#8eb8dc", "#0b0c0c"),
    (0.8, "#5694ca", "#0b0c0c"),
    (float("inf"), "#16548a", "#ffffff"),
]
HEAT_LEGEND = [(0.0, "under 20%"), (0.2, "20–39%"), (0.4, "40–59%"), (0.6, "60–79%"), (0.8, "80% or more")]
HEAT_FONT, HEAT_CHAR, HEAT_ROW, HEAT_LINE, HEAT_LABEL_CHARS = 14, 8, 32, 18, 30


def heat_colours(value: float) -> tuple[str, str]:
    """The fill and the text colour of a heatmap cell holding ``value`` (0–1)."""
    return next((fill, ink) for limit, fill, ink in HEAT_STEPS if value < limit)


@dataclass(frozen=True)
class PlacedText:
    x: int
    y: int
    text: str
    #: the whole text when ``text`` is shortened to fit
    full: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlacedCell:
    x: int
    y: int
    fill: str
    ink: str
    text: PlacedText


@dataclass(frozen=True)
class PlacedKey:
    x: int
    y: int
    fill: str
    text: PlacedText


@dataclass(frozen=True)
class PlacedHeatmap:
    width: int
    height: int
    cell_width: int
    cell_height: int
    rows: list[PlacedText]
    columns: list[PlacedText]
    cells: list[PlacedCell]
    legend: list[PlacedKey]

    @property
    def cell_marks(self) -> SafeString:
        """The SVG of the cells, written here rather than by a template loop: a heatmap
        of a page of a table has a thousand cells."""
        size = f'width="{self.cell_width}" height="{self.cell_height}"'
        return mark_safe(
            "\n".join(  # every text is escaped
                f'<rect x="{c.x}" y="{c.y}" {size} fill="{c.fill}" stroke="#b1b4b6" stroke-width="1"></rect>'
                f'<text x="{c.text.x}" y="{c.text.y}" text-anchor="middle" font-size="14" '
                f'fill="{c.ink}">{escape(c.text.text)}</text>'
                for c in self.cells
            )
        )


def _wrap(text: str, width: int = 13) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def place_heatmap(chart: Chart) -> PlacedHeatmap | None:
    """Where each cell, label and key of a heatmap goes in its SVG (the template only draws
    them); None for a chart that is not a heatmap."""
    if not chart.rows or not chart.columns:
        return None
    shortened = [r if len(r) <= HEAT_LABEL_CHARS else r[: HEAT_LABEL_CHARS - 1] + "…" for r in chart.rows]
    left = max(len(r) for r in shortened) * HEAT_CHAR + 16
    heads = [_wrap(c) for c in chart.columns]
    texts = [len(text) for row in chart.cells for _, text in row]
    widest = max([len(line) for lines in heads for line in lines] + texts)
    cell_width = max(56, widest * HEAT_CHAR + 16)
    deepest = max(len(lines) for lines in heads)
    top = deepest * HEAT_LINE + 12
    # column headings sit on the grid: a shorter one starts lower
    columns = [
        PlacedText(
            left + i * cell_width + cell_width // 2,
            (deepest - len(lines) + 1) * HEAT_LINE,
            chart.columns[i],
            lines=lines,
        )
        for i, lines in enumerate(heads)
    ]
    rows, cells = [], []
    for i, label in enumerate(chart.rows):
        y = top + i * HEAT_ROW
        rows.append(PlacedText(left - 8, y + HEAT_ROW // 2 + 5, shortened[i], full=label))
        for j, (value, text) in enumerate(chart.cells[i] if i < len(chart.cells) else []):
            fill, ink = heat_colours(value)
            x = left + j * cell_width
            cells.append(
                PlacedCell(x, y, fill, ink, PlacedText(x + cell_width // 2, y + HEAT_ROW // 2 + 5, text))
            )
    width = left + len(chart.columns) * cell_width + 8
    legend, x, y = [], 0, top + len(chart.rows) * HEAT_ROW + 16
    for value, label in chart.legend or HEAT_LEGEND:
        span = 28 + len(label) * HEAT_CHAR + 16
        if x and x + span > width:
            x, y = 0, y + HEAT_ROW
        legend.append(PlacedKey(x, y, heat_colours(value)[0], PlacedText(x + 28, y + 15, label)))
        x += span
    width = max(width, max(key.x + 28 + len(key.text.text) * HEAT_CHAR for key in legend))
    return PlacedHeatmap(width, y + HEAT_ROW, cell_width, HEAT_ROW, rows, columns, cells, legend)


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
    return (
        MappingReview.objects.published()
        .filter(
            framework=params.framework,
        )
        .aggregate(latest=Max("published_at"))["latest"]
    )
