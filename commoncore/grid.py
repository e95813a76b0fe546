"""The mapping grid of a qualification against a framework, as the admin shows it: one
row per module plus one for the qualification as a whole, one column per area (or per
element, for a framework that has elements), each cell ticked or not, beside the public
state so a moderator sees what would change. Built in a fixed number of queries."""

from dataclasses import dataclass, field

from django.http import QueryDict

from commoncore.models import Area, Attribute, Basis, Element, Framework, GridMark, MappingReview
from commoncore.services import CellKey, Mark, attribute_key, open_review, published_attributes
from qualifications.models import Qualification, QualificationModule


class GridInputError(ValueError):
    """The posted grid names a cell, row or value the grid does not have."""


@dataclass
class Column:
    key: str
    area: Area
    element: Element | None

    @property
    def label(self) -> str:
        return self.element.title if self.element else self.area.title


@dataclass
class GridCell:
    name: str
    key: CellKey
    column: Column
    ticked: bool
    published: bool

    @property
    def change(self) -> str:
        """ "added" or "removed" against the public state, else ""."""
        if self.ticked and not self.published:
            return "added"
        if self.published and not self.ticked:
            return "removed"
        return ""


@dataclass
class Row:
    key: str
    title: str
    ref: str
    mandatory: bool | None  # None: the qualification as a whole
    basis: str
    note: str
    cells: list[GridCell] = field(default_factory=list)
    judged_elsewhere: bool = False

    @property
    def total(self) -> int:
        return sum(cell.ticked for cell in self.cells)

    @property
    def changes(self) -> int:
        return sum(bool(cell.change) for cell in self.cells)


@dataclass
class AreaGroup:
    area: Area
    span: int


@dataclass
class Grid:
    qualification: Qualification
    framework: Framework
    review: MappingReview | None
    columns: list[Column]
    groups: list[AreaGroup]
    rows: list[Row]

    @property
    def column_totals(self) -> list[int]:
        return [sum(row.cells[i].ticked for row in self.rows) for i in range(len(self.columns))]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def empty_rows(self) -> list[Row]:
        return [row for row in self.rows if row.total == 0]

    @property
    def changes(self) -> int:
        return sum(row.changes for row in self.rows)

    def cell_names(self) -> dict[str, tuple[Row, GridCell]]:
        return {cell.name: (row, cell) for row in self.rows for cell in row.cells}

    def marks_from_post(self, data: QueryDict) -> dict[CellKey, Mark]:
        """The ticked cells of a posted grid. Anything the grid does not have is refused."""
        cells = self.cell_names()
        rows = {row.key: row for row in self.rows}
        bases = set(Basis.values) | {""}
        judgements: dict[str, Mark] = {}
        for row in self.rows:
            basis = data.get(f"basis-{row.key}", "")
            if basis not in bases:
                raise GridInputError(f"{basis!r} is not a basis of judgement.")
            note = data.get(f"note-{row.key}", "").strip()
            if len(note) > 2000:
                raise GridInputError(f"The note on {row.title} is longer than 2,000 characters.")
            judgements[row.key] = Mark(basis=basis, note=note)
        marks: dict[CellKey, Mark] = {}
        for name in data:
            if not name.startswith("cell-"):
                if name.startswith(("basis-", "note-")) and name.split("-", 1)[1] not in rows:
                    raise GridInputError("The grid has no such row; reload the page.")
                continue
            if name not in cells:
                raise GridInputError("The grid has no such cell; reload the page.")
            row, cell = cells[name]
            marks[cell.key] = judgements[row.key]
        return marks


def columns_of(framework: Framework) -> tuple[list[Column], list[AreaGroup]]:
    areas = list(Area.objects.filter(framework=framework).order_by("number"))
    elements = list(Element.objects.filter(area__framework=framework).order_by("area__number", "order"))
    if not elements:
        return [Column(f"a{a.pk}", a, None) for a in areas], [AreaGroup(a, 1) for a in areas]
    by_area = {a.pk: a for a in areas}
    columns = [Column(f"e{e.pk}", by_area[e.area_id], e) for e in elements]
    groups = []
    for area in areas:
        span = sum(1 for c in columns if c.area.pk == area.pk)
        if span:
            groups.append(AreaGroup(area, span))
    return columns, groups


def build_grid(
    qualification: Qualification,
    framework: Framework,
    review: MappingReview | None = None,
    *,
    use_open: bool = True,
) -> Grid:
    """The grid of ``review`` (by default the open one, if any; else the public state)."""
    if review is None and use_open:
        review = open_review(qualification, framework)
    columns, groups = columns_of(framework)
    memberships = list(
        QualificationModule.objects.filter(qualification=qualification)
        .select_related("module")
        .order_by("order", "module__ref")
    )
    module_ids = [m.module_id for m in memberships]
    published = published_attributes(qualification, framework, module_ids)
    if review is not None:
        marks: dict[CellKey, Attribute | GridMark] = {attribute_key(m): m for m in review.marks.all()}
    else:
        marks = dict(published)
    # modules with a public judgement that are also part of other qualifications
    shared = set(
        QualificationModule.objects.filter(module_id__in=module_ids)
        .exclude(qualification=qualification)
        .values_list("module_id", flat=True)
    )
    elsewhere = shared & {key[0] for key in published}

    def row(key: str, module_id: int | None, **kwargs) -> Row:
        judged = [m for k, m in marks.items() if k[0] == module_id]
        first = judged[0] if judged else None
        new = Row(
            key=key,
            basis=first.basis if first else "",
            note=first.note if first else "",
            judged_elsewhere=module_id in elsewhere,
            **kwargs,
        )
        for column in columns:
            cell_key = (module_id, column.area.pk, column.element.pk if column.element else None)
            new.cells.append(
                GridCell(
                    f"cell-{key}-{column.key}", cell_key, column, cell_key in marks, cell_key in published
                )
            )
        return new

    rows = [
        row(f"m{m.module_id}", m.module_id, title=m.module.title, ref=m.module.ref, mandatory=m.mandatory)
        for m in memberships
    ]
    rows.append(row("q", None, title="The qualification as a whole", ref=qualification.ref, mandatory=None))
    return Grid(qualification, framework, review, columns, groups, rows)
