"""Provision: how many qualifications each cluster and role has, and at which levels."""

from django.db.models import Count, Q

from commoncore.reports.base import Result, Table, report
from commoncore.reports.params import Params
from iqf.lib.levels import Level, level_code
from roles.models import Cluster, RoleCluster, RoleQualification

LEVELS: list[int | None] = [value for value, _ in Level.choices] + [None]
LEVEL_COLUMNS = [f"level_{level_code(v)}" if v is not None else "not_levelled" for v in LEVELS]
COLUMNS = ["cluster", "role", "qualifications", "key_qualifications", *LEVEL_COLUMNS]
HEADINGS = ["Cluster", "Role", "Qualifications", "Key qualifications",
            *[f"Level {level_code(v)}" if v is not None else "Not levelled" for v in LEVELS]]


def _counts(prefix: str, base) -> dict:
    """Distinct qualifications linked through ``prefix`` (a path to RoleQualification; empty
    for RoleQualification rows themselves), in the base set: all, key, and per level."""
    def path(name: str) -> str:
        return f"{prefix}__{name}" if prefix else name

    qualification = path("qualification")
    within = Q(**{f"{qualification}__in": base})
    counts = {
        "n_all": Count(qualification, filter=within, distinct=True),
        "n_key": Count(qualification, filter=within & Q(**{path("is_key"): True}), distinct=True),
    }
    for column, level in zip(LEVEL_COLUMNS, LEVELS, strict=True):
        at = Q(**{f"{qualification}__level__isnull": True}) if level is None \
            else Q(**{f"{qualification}__level": level})
        counts[column] = Count(qualification, filter=within & at, distinct=True)
    return counts


def _cells(row: dict) -> list[int]:
    return [row["n_all"], row["n_key"], *[row[c] for c in LEVEL_COLUMNS]]


@report("provision", "Provision by cluster and role",
        "How many qualifications, and how many key ones, each cluster and role has, and at "
        "which levels.", uses=("scheme", "cluster", "level", "key_only"))
def provision(params: Params) -> Result:
    rows: list[tuple] = []
    totals: set[int] = set()
    if params.scheme is not None:
        clusters = Cluster.objects.filter(scheme=params.scheme)
        if params.cluster is not None:
            clusters = clusters.filter(pk=params.cluster.pk)
        base = params.qualifications.values("pk")
        by_role: dict[int, list[dict]] = {}
        for row in (RoleCluster.objects.filter(cluster__in=clusters)
                    .values("cluster_id", "role__title")
                    .annotate(**_counts("role__qualification_links", base))
                    .order_by("role__title")):
            by_role.setdefault(row["cluster_id"], []).append(row)
        subtotals = clusters.annotate(**_counts("role_links__role__qualification_links", base)) \
            .values("pk", "name", *["n_all", "n_key", *LEVEL_COLUMNS]).order_by("name")
        for cluster in subtotals:
            for row in by_role.get(cluster["pk"], []):
                rows.append((cluster["name"], row["role__title"], *_cells(row)))
            totals.add(len(rows))
            rows.append((cluster["name"], "", *_cells(cluster)))
        grand = RoleQualification.objects.filter(
            role__cluster_links__cluster__in=clusters,
        ).aggregate(**_counts("", base))
        totals.add(len(rows))
        rows.append(("All clusters", "", *_cells(grand)))
    main = Table("provision", "Qualifications per cluster and role", COLUMNS, rows,
                 headings=HEADINGS, numeric=frozenset(range(2, len(COLUMNS))),
                 totals=frozenset(totals))
    return Result(main, notes=[
        "A role in two clusters has a row in each, both counting all its qualifications.",
        "Subtotals and the total count each qualification once.",
    ])
