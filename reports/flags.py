"""Which areas each module of a set covers, decided in the database and counted there.

The module reports (module-areas, coverage-by-level, coverage-by-cluster) count modules
covering each area. Counting ``DISTINCT`` modules under one filtered subquery per area
makes the database search the judgements once per area and column; instead, each module
is given one row of flags — a 1 per area it covers, under the chosen rule — by a single
grouped pass over its judgements, and the counts are plain ``COUNT`` s over those rows.

Statements are built around the (group, module) pairs of a Django queryset compiled to
SQL, and run through the connection's cursor; they run unchanged on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

from django.db.models import QuerySet

from commoncore.coverage import AreaInfo, Rule, enough_elements
from commoncore.models import Attribute
from reports.sql import compiled, fetch, name


def _covered(areas: Sequence[AreaInfo], rule: Rule) -> tuple[str, list]:
    """SELECT of (mid, area): each module and each of ``areas`` it covers under ``rule``.
    Under rule *any* (or for areas without elements) any judgement of the area covers it,
    and the judgements are read as they are; otherwise they are grouped per module and
    area, and a group covers when it judges the area as a whole or enough elements."""
    att, module, area, element = (
        name(Attribute),
        name(Attribute, "module"),
        name(Attribute, "area"),
        name(Attribute, "element"),
    )
    marks = ", ".join(["%s"] * len(areas))
    params: list = [a.id for a in areas]
    needs_elements = [a for a in areas if a.elements and enough_elements(a, rule) > 1]
    if not needs_elements:
        return (
            f"SELECT att.{module} AS mid, att.{area} AS area FROM {att} att WHERE att.{area} IN ({marks})"
        ), params
    cases = " ".join("WHEN %s THEN %s" for _ in needs_elements)
    for a in needs_elements:
        params += [a.id, enough_elements(a, rule)]
    return (
        f"SELECT att.{module} AS mid, att.{area} AS area FROM {att} att "
        f"WHERE att.{area} IN ({marks}) AND att.{module} IS NOT NULL "
        f"GROUP BY att.{module}, att.{area} "
        f"HAVING COUNT(CASE WHEN att.{element} IS NULL THEN 1 END) > 0 "
        f"OR COUNT(DISTINCT att.{element}) >= CASE att.{area} {cases} ELSE 1 END"
    ), params


def _counted(source: str, source_params: list, areas: Sequence[AreaInfo], rule: Rule) -> tuple[str, list]:
    """Over ``source``, a SELECT of (grp, mid) rows — a group and a module in it, perhaps
    repeated: per group, its distinct modules (``modules``), how many cover each area
    (``area_<number>``) and how many cover any (``any_area``). Each (group, module) is
    flagged once, in one grouped pass over its judgements, then the flags are counted."""
    params: list = []
    flags = []
    for a in areas:
        flags.append(f"MAX(CASE WHEN cov.area = %s THEN 1 END) AS area_{a.number}")
        params.append(a.id)
    if areas:
        covered, covered_params = _covered(areas, rule)
    else:
        covered, covered_params = "SELECT NULL AS mid, NULL AS area WHERE 1 = 0", []
    flagged = ", ".join(["s.grp AS grp", *flags, "MAX(cov.area) AS any_area"])
    counts = ", ".join(
        [
            "f.grp AS grp",
            "COUNT(*) AS modules",
            *[f"COUNT(f.area_{a.number}) AS area_{a.number}" for a in areas],
            "COUNT(f.any_area) AS any_area",
        ]
    )
    sql = (
        f"SELECT {counts} FROM (SELECT {flagged} FROM ({source}) s "
        f"LEFT JOIN ({covered}) cov ON cov.mid = s.mid GROUP BY s.grp, s.mid) f GROUP BY f.grp"
    )
    return sql, params + source_params + covered_params


def counts(pairs: QuerySet, areas: Sequence[AreaInfo], rule: Rule) -> list[dict]:
    """Over (group, module) pairs (a values queryset naming them ``grp`` and ``mid``; a
    pair may repeat): per group (``grp``), its distinct modules (``modules``), how many
    cover each area (``area_<number>``) and how many cover any (``any_area``); a row per
    group with modules. One query."""
    pairs_sql, pairs_params = compiled(pairs.order_by())
    return fetch(*_counted(f"SELECT p.grp, p.mid FROM ({pairs_sql}) p", pairs_params, areas, rule))
