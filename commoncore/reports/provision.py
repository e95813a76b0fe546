"""Provision: how many qualifications each cluster and role has, and at which levels.

Three grouped queries, whatever the data size: the (cluster, role) rows, streamed in the
report's order; the cluster subtotals; the grand total. A role's links name each
qualification once, so a role's row counts plainly; a cluster's subtotal and the total
count distinct qualifications, since two roles may share one.
"""

from collections.abc import Iterator
from itertools import groupby

from django.db.models import Count, F, Q

from commoncore.reports.base import CHUNK, Result, Row, Rows, Table, report
from commoncore.reports.params import Params
from iqf.lib.levels import Level, level_code
from roles.models import Cluster, RoleCluster, RoleQualification

LEVELS: list[int | None] = [value for value, _ in Level.choices] + [None]
LEVEL_COLUMNS = [f"level_{level_code(v)}" if v is not None else "not_levelled" for v in LEVELS]
COLUMNS = ["cluster", "role", "qualifications", "key_qualifications", *LEVEL_COLUMNS]
HEADINGS = ["Cluster", "Role", "Qualifications", "Key qualifications",
            *[f"Level {level_code(v)}" if v is not None else "Not levelled" for v in LEVELS]]
COUNTS = ["n_all", "n_key", *LEVEL_COLUMNS]


def _counts(*, distinct: bool) -> dict:
    """Over RoleQualification rows: their qualifications, all, key, and per level, as
    conditional counts of one grouped query."""
    counts = {
        "n_all": Count("qualification", distinct=distinct),
        "n_key": Count("qualification", filter=Q(is_key=True), distinct=distinct),
    }
    for column, level in zip(LEVEL_COLUMNS, LEVELS, strict=True):
        at = Q(qualification__level__isnull=True) if level is None else Q(qualification__level=level)
        counts[column] = Count("qualification", filter=at, distinct=distinct)
    return counts


def _cells(row: dict) -> list[int]:
    return [row[c] for c in COUNTS]


@report("provision", "Provision by cluster and role",
        "How many qualifications, and how many key ones, each cluster and role has, and at "
        "which levels.", uses=("scheme", "cluster", "level", "key_only"))
def provision(params: Params) -> Result:
    totals: frozenset[int] = frozenset()
    rows: Rows | list[Row] = []
    if params.scheme is not None:
        clusters = Cluster.objects.filter(scheme=params.scheme)
        if params.cluster is not None:
            clusters = clusters.filter(pk=params.cluster.pk)
        linked = RoleQualification.objects.filter(role__cluster_links__cluster__in=clusters,
                                                  **params.within())
        order = ("role__cluster_links__cluster__name", "role__title")
        # the roles with a qualification in the base set, in the report's order
        per_role = (linked.values("role_id", cluster=F("role__cluster_links__cluster"))
                    .annotate(**_counts(distinct=False)).order_by(*order))
        # every role of every cluster, in the same order (a role without one has zeros)
        memberships = RoleCluster.objects.filter(cluster__in=clusters) \
            .order_by("cluster__name", "role__title").values_list("cluster_id", "role_id", "role__title")
        subtotals = {row["cluster"]: row for row in linked.order_by()
                     .values(cluster=F("role__cluster_links__cluster"))
                     .annotate(**_counts(distinct=True))}
        grand = linked.aggregate(**_counts(distinct=True))
        listed = list(clusters.order_by("name").values_list("pk", "name"))
        zeros = [0] * len(COUNTS)

        def produce() -> Iterator[Row]:
            counted = per_role.iterator(chunk_size=CHUNK)
            found = next(counted, None)
            roles = groupby(memberships.iterator(chunk_size=CHUNK), key=lambda m: m[0])
            group = next(roles, None)
            for pk, name in listed:
                if group is not None and group[0] == pk:
                    for _, role, title in group[1]:
                        if found is not None and (found["cluster"], found["role_id"]) == (pk, role):
                            yield (name, title, *_cells(found))
                            found = next(counted, None)
                        else:
                            yield (name, title, *zeros)
                    group = next(roles, None)
                subtotal = subtotals.get(pk)
                yield (name, "", *(_cells(subtotal) if subtotal else zeros))
            yield ("All clusters", "", *_cells(grand))

        rows = Rows(produce)
    main = Table("provision", "Qualifications per cluster and role", COLUMNS, rows,
                 headings=HEADINGS, numeric=frozenset(range(2, len(COLUMNS))),
                 totals=totals, total_row=lambda row: row[1] == "")
    return Result(main, notes=[
        "A role in two clusters has a row in each, both counting all its qualifications.",
        "Subtotals and the total count each qualification once.",
    ])
