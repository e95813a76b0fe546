"""Coverage by module level and by cluster, over-provision, and the modules qualifications
share (DESIGN.md §4; the research questions on commonalities and complementarities).

Each report counts in the database: one grouped query per table, whatever the data size.
"""

from statistics import median

from django.db.models import Count, F, Q, QuerySet

from commoncore.coverage import AreaInfo, Mode
from iqf.lib.levels import Level, level_code
from qualifications.models import Module, QualificationModule
from reports import flags, sql
from reports.base import Bar, Chart, Result, Rows, Table, report, share
from reports.coverage_reports import mapped, module_set
from reports.params import Params
from roles.models import Cluster, RoleQualification

EVERY_PARAMETER = ("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule")
LEVELS: list[int] = [value for value, _ in Level.choices]
NOT_LEVELLED = "not levelled"
TOP = 50
#: Ranking pairs of qualifications costs about a microsecond per pairing (two qualifications
#: holding one module): beyond this many the pairs are not ranked on request.
PAIRINGS_LIMIT = 1_000_000


def _area_columns(areas: list[AreaInfo]) -> tuple[list[str], list[str]]:
    columns, headings = [], []
    for area in areas:
        columns += [f"area_{area.number}", f"area_{area.number}_share"]
        headings += [f"{area.number}. {area.short_title}", f"Share, area {area.number}"]
    columns += ["none", "none_share", "any_area", "any_area_share"]
    headings += ["No area", "Share, no area", "Any area", "Share, any area"]
    return columns, headings


def _area_cells(found: dict, areas: list[AreaInfo]) -> list:
    total = found.get("modules", 0)
    cells: list = []
    for area in areas:
        n = found.get(f"area_{area.number}", 0)
        cells += [n, share(n, total)]
    covered = found.get("any_area", 0)
    return [*cells, total - covered, share(total - covered, total), covered, share(covered, total)]


def _heat(found: dict, areas: list[AreaInfo]) -> list[tuple[float, str]]:
    """A heatmap row: the share of the modules covering each area, and its percentage."""
    total = found.get("modules", 0)
    if not total:
        return [(0.0, "–") for _ in areas]
    return [(n / total, f"{100 * n / total:.0f}%") for n in (found.get(f"area_{a.number}", 0) for a in areas)]


def _area_labels(areas: list[AreaInfo]) -> list[str]:
    return [f"Area {a.number} {a.short_title}" for a in areas]


def _clusters(params: Params) -> QuerySet:
    clusters = Cluster.objects.filter(scheme=params.scheme)
    if params.cluster is not None:
        clusters = clusters.filter(pk=params.cluster.pk)
    return clusters


# -- coverage by module level ------------------------------------------------------------


@report(
    "coverage-by-level",
    "Coverage by module level",
    "At each module level, how many of the modules of mapped qualifications cover each "
    "area, and how many cover none.",
    uses=EVERY_PARAMETER,
)
def coverage_by_level(params: Params) -> Result:
    areas = params.areas
    levelled = module_set(params).values(grp=F("level"), mid=F("pk"))
    found = {row["grp"]: row for row in flags.counts(levelled, areas, params.rule)}
    levels: list[int | None] = [*LEVELS, None]
    labels = [level_code(level) if level is not None else NOT_LEVELLED for level in levels]
    total = {
        key: sum(row[key] for row in found.values())
        for key in ["modules", *[f"area_{a.number}" for a in areas], "any_area"]
    }
    rows = [
        (label, found.get(level, {}).get("modules", 0), *_area_cells(found.get(level, {}), areas))
        for label, level in zip(labels, levels, strict=True)
    ]
    rows.append(("all", total["modules"], *_area_cells(total, areas)))
    columns, headings = _area_columns(areas)
    main = Table(
        "coverage-by-level",
        "Modules of mapped qualifications covering each area, by module level",
        ["level", "modules", *columns],
        rows,
        headings=["Level", "Modules", *headings],
        numeric=frozenset(range(1, len(columns) + 2)),
        totals=frozenset({len(rows) - 1}),
    )
    names = [
        f"Level {label}"
        if label not in ("E", NOT_LEVELLED)
        else ("Entry level" if label == "E" else "Not levelled")
        for label in labels
    ]
    bars = Chart(
        "Share of modules covering at least one area, by module level",
        "; ".join(f"{name}: {row[-2]} of {row[1]} modules" for name, row in zip(names, rows, strict=False))
        + ".",
        bars=[
            Bar(name, float(row[-1]), f"{100 * float(row[-1]):.0f}%" if row[1] else "no modules")
            for name, row in zip(names, rows, strict=False)
        ],
    )
    heatmap = Chart(
        "Share of modules covering each area, by module level",
        "Each cell is the share of the modules at a level that cover an area, written in the "
        "cell; darker cells are higher shares; a dash marks a level without modules.",
        rows=names,
        columns=_area_labels(areas),
        cells=[_heat(found.get(level, {}), areas) for level in levels],
    )
    return Result(
        main,
        charts=[bars, heatmap],
        notes=[
            f"{total['modules']} distinct modules of mapped qualifications"
            + (", mandatory in at least one" if params.mode == Mode.GUARANTEED else "")
            + "."
        ],
    )


# -- coverage by cluster -----------------------------------------------------------------


@report(
    "coverage-by-cluster",
    "Coverage by cluster",
    "For each cluster, the share of the modules of its mapped qualifications covering each area.",
    uses=EVERY_PARAMETER,
)
def coverage_by_cluster(params: Params) -> Result:
    areas = params.areas
    rows: list[tuple] = []
    heat: list[list[tuple[float, str]]] = []
    names: list[str] = []
    if params.scheme is not None:
        clusters = _clusters(params)
        qualifications = mapped(params).values("pk")
        path = "role_links__role__qualification_links__qualification"
        listed = list(
            clusters.annotate(
                mapped_qualifications=Count(path, filter=Q(**{f"{path}__in": qualifications}), distinct=True)
            )
            .order_by("name")
            .values_list("pk", "name", "mapped_qualifications")
        )
        # a cluster's qualifications: linked, key or not, to any role in the cluster; the
        # clusters are named by their ids, whose number the planner then knows
        members = QualificationModule.objects.filter(
            qualification__in=qualifications,
            qualification__role_links__role__cluster_links__cluster__in=[pk for pk, _, _ in listed],
        )
        if params.mode == Mode.GUARANTEED:
            members = members.filter(mandatory=True)
        if params.level is not None:
            members = members.filter(module__level=params.level)
        pairs = members.values(
            grp=F("qualification__role_links__role__cluster_links__cluster"), mid=F("module_id")
        )
        found = {row["grp"]: row for row in flags.counts(pairs, areas, params.rule)}
        for pk, name, n_mapped in listed:
            counts = found.get(pk, {})
            rows.append((name, n_mapped, counts.get("modules", 0), *_area_cells(counts, areas)))
            heat.append(_heat(counts, areas))
            names.append(name)
    columns, headings = _area_columns(areas)
    main = Table(
        "coverage-by-cluster",
        "Modules of each cluster's mapped qualifications covering each area",
        ["cluster", "mapped_qualifications", "modules", *columns],
        rows,
        headings=["Cluster", "Mapped qualifications", "Modules", *headings],
        numeric=frozenset(range(1, len(columns) + 3)),
    )
    charts = []
    if rows:
        charts.append(
            Chart(
                "Share of each cluster's modules covering each area",
                "Each cell is the share of the modules of a cluster's mapped qualifications that "
                "cover an area, written in the cell; darker cells are higher shares; a dash marks "
                "a cluster without modules.",
                rows=names,
                columns=_area_labels(areas),
                cells=heat,
                per_table_row=True,
            )
        )
    return Result(
        main,
        charts=charts,
        notes=[
            "A cluster's qualifications are those linked, key or not, to any role in it; a "
            "module shared by two clusters counts in both."
        ],
    )


# -- over-provision ----------------------------------------------------------------------


def _median_text(value: float) -> str:
    return f"{value:g}"


@report(
    "over-provision",
    "Over-provision",
    "Which clusters have, at a level, at least twice as many qualifications as the median cluster and level.",
    uses=("scheme", "cluster", "level", "key_only"),
)
def over_provision(params: Params) -> Result:
    grid: dict[tuple[int, int | None], int] = {}
    listed: list[tuple[int, str]] = []
    if params.scheme is not None:
        clusters = _clusters(params)
        listed = list(clusters.order_by("name").values_list("pk", "name"))
        for row in (
            RoleQualification.objects.filter(
                role__cluster_links__cluster__in=clusters,
                **params.within(),
            )
            .order_by()
            .values("role__cluster_links__cluster", "qualification__level")
            .annotate(n=Count("qualification", distinct=True))
        ):
            grid[(row["role__cluster_links__cluster"], row["qualification__level"])] = row["n"]
    filled = [n for (pk, level), n in grid.items() if level is not None and n]
    middle = median(filled) if filled else 0
    over = {(pk, level) for (pk, level), n in grid.items() if level is not None and n and n >= 2 * middle}
    rows, heat, over_rows = [], [], []
    for pk, name in listed:
        cells: list = []
        shades: list[tuple[float, str]] = []
        for level in LEVELS:
            n = grid.get((pk, level), 0)
            if (pk, level) in over:
                cells.append(f"{n} (over)")
                shades.append((1.0, f"{n} (over)"))
                over_rows.append((name, level_code(level), n, _median_text(middle)))
            else:
                cells.append(n)
                shades.append((0.3 if n else 0.0, str(n) if n else ""))
        rows.append((name, *cells, grid.get((pk, None), 0)))
        heat.append(shades)
    level_columns = [f"level_{level_code(level)}" for level in LEVELS]
    main = Table(
        "over-provision",
        "Qualifications per cluster and level; “(over)” marks at least twice the median",
        ["cluster", *level_columns, "not_levelled"],
        rows,
        headings=["Cluster", *[f"Level {level_code(level)}" for level in LEVELS], "Not levelled"],
        numeric=frozenset(range(1, len(level_columns) + 2)),
    )
    summary = Table(
        "over",
        "Cells at least twice the median of the non-empty cells",
        ["cluster", "level", "qualifications", "median"],
        over_rows,
        headings=["Cluster", "Level", "Qualifications", "Median"],
        numeric=frozenset({2, 3}),
    )
    notes = [
        f"The median of the {len(filled)} non-empty cluster and level cells is "
        f"{_median_text(middle)}; {len(over_rows)} cells have at least twice as many "
        "qualifications. Not-levelled qualifications are shown but not compared."
        if filled
        else "No cluster has a levelled qualification for these parameters."
    ]
    charts = []
    if rows:
        charts.append(
            Chart(
                "Level ladder per cluster",
                "Each row is a cluster and each column a level, from Entry to Level 8; a cell shows "
                "how many qualifications the cluster has at that level, is empty where it has none, "
                "and is dark and marked “(over)” where it has at least twice the median "
                f"({_median_text(middle)}).",
                rows=[name for _, name in listed],
                columns=["Entry" if level == 0 else f"Level {level}" for level in LEVELS],
                cells=heat,
                legend=[
                    (0.0, "No qualification"),
                    (0.3, "Some qualifications"),
                    (1.0, f"At least twice the median ({_median_text(middle)})"),
                ],
                per_table_row=True,
            )
        )
    return Result(main, summaries=[summary], charts=charts, notes=notes)


# -- shared modules ----------------------------------------------------------------------


def _most_used(memberships: QuerySet) -> tuple[list[dict], int]:
    """The TOP modules most of ``memberships`` use (at least two), most used first and then
    by reference, with their qualifications (``n``) mandatory and optional; and how many
    (qualification, qualification, module) pairings the modules used twice or more make —
    the number of rows ranking the pairs of qualifications would read. One statement.

    The memberships are grouped by module id alone (a membership names a qualification
    once, so plain counts are distinct ones), counting the grouped column, so that the
    counts come from the (module, mandatory) index alone. A module's reference and title
    are read only for the groups ranked TOP or better by their count: ties at the cut are
    then ordered by reference, and no other group needs one."""
    grouped, params = sql.compiled(
        memberships.values("module_id")
        .annotate(
            n=Count("module_id"),
            mandatory_in=Count("module_id", filter=Q(mandatory=True)),
            optional_in=Count("module_id", filter=Q(mandatory=False)),
        )
        .filter(n__gte=2)
    )
    module, pk, ref, title = (
        sql.name(Module),
        sql.name(Module, "pk"),
        sql.name(Module, "ref"),
        sql.name(Module, "title"),
    )
    found = sql.fetch(
        f"SELECT m.{ref} AS ref, m.{title} AS title, g.n, g.mandatory_in, g.optional_in, "
        f"g.pairings FROM (SELECT r.module_id, r.n, r.mandatory_in, r.optional_in, "
        f"RANK() OVER (ORDER BY r.n DESC) AS place, SUM(r.n * (r.n - 1) / 2) OVER () AS pairings "
        f"FROM ({grouped}) r) g JOIN {module} m ON m.{pk} = g.module_id "
        f"WHERE g.place <= %s ORDER BY g.n DESC, m.{ref} LIMIT %s",
        [*params, TOP, TOP],
    )
    return found, int(found[0]["pairings"]) if found else 0


@report(
    "shared-modules",
    "Shared modules",
    "Which modules the most qualifications use, and which pairs of qualifications share the most modules.",
    uses=("scheme", "cluster", "level", "key_only"),
)
def shared_modules(params: Params) -> Result:
    memberships = QualificationModule.objects.filter(**params.within()).order_by()
    used, pairings = _most_used(memberships)
    rows = [(m["ref"], m["title"], m["n"], m["mandatory_in"], m["optional_in"]) for m in used]
    # QualificationModule joined to itself on the module, each pair once (a's ref before b's)
    other = "module__memberships__qualification"
    pairs = (
        QualificationModule.objects.filter(
            **params.within(),
            **params.within(other),
            qualification__ref__lt=F(f"{other}__ref"),
        )
        .order_by()
        .values("qualification__ref", "qualification__title", f"{other}__ref", f"{other}__title")
        .annotate(shared=Count("module", distinct=True))
        .order_by("-shared", "qualification__ref", f"{other}__ref")[:TOP]
    )
    # asked for only when the pairs are shown or downloaded, not for the modules' download
    ranked = pairings <= PAIRINGS_LIMIT
    pair_rows = Rows(
        lambda: (
            (
                p["qualification__ref"],
                p["qualification__title"],
                p[f"{other}__ref"],
                p[f"{other}__title"],
                p["shared"],
            )
            for p in (pairs if ranked else [])
        )
    )
    main = Table(
        "shared-modules",
        f"Modules used by two or more qualifications, most used first (at most {TOP})",
        ["ref", "title", "qualifications", "mandatory_in", "optional_in"],
        rows,
        headings=["Module", "Title", "Qualifications", "Mandatory in", "Optional in"],
        numeric=frozenset({2, 3, 4}),
    )
    notes = (
        []
        if ranked
        else [
            f"The pairs of qualifications sharing the most modules are ranked for selections whose "
            f"shared modules pair qualifications at most {PAIRINGS_LIMIT:,} times; these qualifications' "
            f"shared modules pair them {pairings:,} times, too many to rank while you wait. Choose a "
            f"cluster, a level or key qualifications only to see the pairs."
        ]
    )
    summary = Table(
        "pairs",
        f"Pairs of qualifications sharing the most modules (at most {TOP})"
        + ("" if ranked else ": not ranked for a selection this large"),
        ["ref_a", "title_a", "ref_b", "title_b", "shared_modules"],
        pair_rows,
        headings=["Qualification", "Title", "Qualification", "Title", "Shared modules"],
        numeric=frozenset({4}),
    )
    return Result(main, summaries=[summary], notes=notes)
