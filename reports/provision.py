"""Provision: how many qualifications each cluster and role has, and at which levels.

One statement counts everything, whatever the data size: the links of the chosen
clusters' roles are read once, and grouped three ways. A role's links name each
qualification once, so a role's row counts them plainly. A cluster's subtotal and the
total count distinct qualifications, since two roles may share one: each (cluster,
qualification) pair is formed once (key if any of its links is), and plain counts over the
pairs give the subtotals, and over the pairs' qualifications the total. (``COUNT(DISTINCT
…)`` columns would sort the links once per column.) The rows are then written in the
report's order, every role of every cluster, a role without links with zeros.
"""

from collections.abc import Iterator
from itertools import groupby

from django.db import connection
from django.db.models import Case, F, QuerySet, Value, When

from iqf.lib.levels import Level, level_code
from reports.base import CHUNK, Result, Row, Rows, Table, report
from reports.params import Params
from reports.sql import compiled, fetch
from roles.models import Cluster, RoleCluster, RoleQualification

LEVELS: list[int | None] = [value for value, _ in Level.choices] + [None]
LEVEL_COLUMNS = [f"level_{level_code(v)}" if v is not None else "not_levelled" for v in LEVELS]
COLUMNS = ["cluster", "role", "qualifications", "key_qualifications", *LEVEL_COLUMNS]
HEADINGS = [
    "Cluster",
    "Role",
    "Qualifications",
    "Key qualifications",
    *[f"Level {level_code(v)}" if v is not None else "Not levelled" for v in LEVELS],
]
COUNTS = ["n_all", "n_key", *LEVEL_COLUMNS]


def _grouped(linked: QuerySet) -> tuple[dict[tuple[int, int], dict], dict[int, dict], dict]:
    """Over the links: per (cluster, role), per cluster and over all clusters, the
    qualifications, the key ones and those per level (``COUNTS``); distinct ones per
    cluster and over all. One query."""
    links = linked.order_by().values(
        cid=F("role__cluster_links__cluster"),
        rid=F("role_id"),
        qid=F("qualification_id"),
        k=Case(When(is_key=True, then=Value(1))),
        level=F("qualification__level"),
    )
    links_sql, links_params = compiled(links)
    quote = connection.ops.quote_name
    columns, column_params = ["COUNT(*) AS n_all", "COUNT(x.k) AS n_key"], []
    for column, level in zip(LEVEL_COLUMNS, LEVELS, strict=True):
        test = "x.level IS NULL" if level is None else "x.level = %s"
        columns.append(f"COUNT(CASE WHEN {test} THEN 1 END) AS {quote(column)}")
        column_params += [] if level is None else [level]
    counts = ", ".join(columns)
    rows = fetch(
        f"WITH links AS ({links_sql}), "
        f"pairs AS (SELECT cid, qid, MAX(k) AS k, MAX(level) AS level FROM links GROUP BY cid, qid) "
        f"SELECT 0 AS kind, x.cid AS cid, x.rid AS rid, {counts} FROM links x GROUP BY x.cid, x.rid "
        f"UNION ALL SELECT 1, x.cid, NULL, {counts} FROM pairs x GROUP BY x.cid "
        f"UNION ALL SELECT 2, NULL, NULL, {counts} FROM (SELECT qid, MAX(k) AS k, "
        f"MAX(level) AS level FROM pairs GROUP BY qid) x",
        links_params + column_params * 3,
    )
    per_role = {(row["cid"], row["rid"]): row for row in rows if row["kind"] == 0}
    per_cluster = {row["cid"]: row for row in rows if row["kind"] == 1}
    grand = next(row for row in rows if row["kind"] == 2)
    return per_role, per_cluster, grand


def _cells(row: dict) -> list[int]:
    return [row[c] for c in COUNTS]


@report(
    "provision",
    "Provision by cluster and role",
    "How many qualifications, and how many key ones, each cluster and role has, and at which levels.",
    uses=("scheme", "cluster", "level", "key_only"),
)
def provision(params: Params) -> Result:
    totals: frozenset[int] = frozenset()
    rows: Rows | list[Row] = []
    if params.scheme is not None:
        clusters = Cluster.objects.filter(scheme=params.scheme)
        if params.cluster is not None:
            clusters = clusters.filter(pk=params.cluster.pk)
        linked = RoleQualification.objects.filter(
            role__cluster_links__cluster__in=clusters, **params.within()
        )
        # every role of every cluster, in the report's order (a role without links has zeros)
        memberships = (
            RoleCluster.objects.filter(cluster__in=clusters)
            .order_by("cluster__name", "role__title")
            .values_list("cluster_id", "role_id", "role__title")
        )
        per_role, subtotals, grand = _grouped(linked)
        listed = list(clusters.order_by("name").values_list("pk", "name"))
        zeros = [0] * len(COUNTS)

        def produce() -> Iterator[Row]:
            roles = groupby(memberships.iterator(chunk_size=CHUNK), key=lambda m: m[0])
            group = next(roles, None)
            for pk, name in listed:
                if group is not None and group[0] == pk:
                    for _, role, title in group[1]:
                        counted = per_role.get((pk, role))
                        yield (name, title, *(_cells(counted) if counted else zeros))
                    group = next(roles, None)
                subtotal = subtotals.get(pk)
                yield (name, "", *(_cells(subtotal) if subtotal else zeros))
            yield ("All clusters", "", *_cells(grand))

        rows = Rows(produce)
    main = Table(
        "provision",
        "Qualifications per cluster and role",
        COLUMNS,
        rows,
        headings=HEADINGS,
        numeric=frozenset(range(2, len(COLUMNS))),
        totals=totals,
        total_row=lambda row: row[1] == "",
    )
    return Result(
        main,
        notes=[
            "A role in two clusters has a row in each, both counting all its qualifications.",
            "Subtotals and the total count each qualification once.",
        ],
    )
