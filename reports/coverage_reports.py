"""Coverage: which areas mapped qualifications and their modules cover (DESIGN.md §4)."""

from collections.abc import Iterator

from django.db.models import F, QuerySet, Value

from commoncore import coverage
from commoncore.coverage import Mode
from iqf.lib.levels import level_code
from qualifications.models import Module, QualificationModule
from reports import flags
from reports.base import CHUNK, Bar, Chart, Result, Row, Rows, Table, report, share
from reports.params import Params


def mapped(params: Params) -> QuerySet:
    """The mapped qualifications of the base set."""
    return params.qualifications.filter(pk__in=coverage.mapped_ids(params.framework))


@report(
    "coverage",
    "Coverage of each mapped qualification",
    "How many areas each mapped qualification covers, and how many cover five or six.",
    uses=("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule"),
)
def coverage_report(params: Params) -> Result:
    areas = params.areas
    chosen = mapped(params)
    covered = coverage.qualification_areas(
        chosen.values("pk"), params.framework, areas, mode=params.mode, rule=params.rule
    )
    columns = ["ref", "title", "level", "areas_covered", *[f"area_{a.number}" for a in areas]]
    headings = [
        "Reference",
        "Title",
        "Level",
        "Areas covered",
        *[f"{a.number}. {a.short_title}" for a in areas],
    ]
    total = chosen.count()
    distribution = [0] * (len(areas) + 1)
    for numbers in covered.values():
        distribution[len(numbers)] += 1
    distribution[0] = total - sum(distribution[1:])

    def produce() -> Iterator[Row]:
        for pk, ref, title, level in (
            chosen.order_by("ref").values_list("pk", "ref", "title", "level").iterator(chunk_size=CHUNK)
        ):
            numbers = covered.get(pk, set())
            yield (
                ref,
                title,
                level_code(level),
                len(numbers),
                *["yes" if a.number in numbers else "no" for a in areas],
            )

    rows = Rows(produce)
    main = Table(
        "coverage",
        "Mapped qualifications and the areas they cover",
        columns,
        rows,
        headings=headings,
        numeric=frozenset({3}),
    )
    summary = Table(
        "distribution",
        "How many mapped qualifications cover 0, 1, … areas",
        ["areas_covered", "qualifications", "share"],
        [(k, n, share(n, total)) for k, n in enumerate(distribution)],
        headings=["Areas covered", "Qualifications", "Share"],
        numeric=frozenset({1, 2}),
    )
    top = sum(distribution[max(len(areas) - 1, 0) :]) if areas else 0
    chart = Chart(
        "Mapped qualifications by number of areas covered",
        f"{total} mapped qualifications; "
        + ", ".join(f"{n} cover {k}" for k, n in enumerate(distribution))
        + ".",
        bars=[
            Bar(f"{k} area{'s' if k != 1 else ''}", n / total if total else 0, str(n))
            for k, n in enumerate(distribution)
        ],
    )
    notes = []
    if len(areas) >= 2:
        notes.append(
            f"{top} of {total} mapped qualifications ({_percent(top, total)}) cover "
            f"{len(areas) - 1} or {len(areas)} areas."
        )
    return Result(main, summaries=[summary], charts=[chart], notes=notes)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def module_set(params: Params) -> QuerySet:
    """The distinct modules of mapped qualifications (under guaranteed coverage, those
    mandatory in at least one), at the chosen level, as a queryset of modules."""
    memberships = QualificationModule.objects.filter(qualification__in=mapped(params).values("pk"))
    if params.mode == Mode.GUARANTEED:
        memberships = memberships.filter(mandatory=True)
    modules = Module.objects.filter(pk__in=memberships.values("module_id"))
    if params.level is not None:
        modules = modules.filter(level=params.level)
    return modules


@report(
    "module-areas",
    "Modules covering each area",
    "For each area, how many of the modules of mapped qualifications cover it, and how "
    "many modules cover none.",
    uses=("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule"),
)
def module_areas(params: Params) -> Result:
    every = module_set(params).values(grp=Value(0), mid=F("pk"))
    found = next(iter(flags.counts(every, params.areas, params.rule)), {})
    total = found.get("modules", 0)
    counts: dict[int | str, int] = {a.number: found.get(f"area_{a.number}", 0) for a in params.areas}
    none = total - found.get("any_area", 0)
    rows: list[tuple[int | str, int, str]] = [
        (a.number, counts[a.number], share(counts[a.number], total)) for a in params.areas
    ]
    rows.append(("none", none, share(none, total)))
    main = Table(
        "module-areas",
        f"Modules covering each area, of {total} distinct modules",
        ["area", "modules", "share"],
        rows,
        headings=["Area", "Modules", "Share"],
        numeric=frozenset({1, 2}),
        totals=frozenset({len(rows) - 1}),
    )
    titles: dict[int | str, str] = {a.number: f"{a.number}. {a.short_title}" for a in params.areas}
    chart = Chart(
        "Share of modules covering each area",
        "; ".join(f"{titles.get(r[0], 'No area')}: {r[2]}" for r in rows) + ".",
        bars=[
            Bar(
                titles.get(r[0], "No area"),
                counts.get(r[0], none) / total if total else 0,
                f"{100 * float(r[2]):.0f}%",
            )
            for r in rows
        ],
    )
    return Result(main, charts=[chart])
