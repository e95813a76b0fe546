"""The database floor of each report: its core query written by hand in SQL.

For every report of ``reports.REPORTS`` one statement, as a DBA would write
it, computes the report's figures for the default parameters (the default cluster
scheme and framework, all levels, every qualification, possible coverage, rule *any*):
set-based, with grouping and conditional aggregation, and no per-row work in Python. The
benchmark times each report beside its floor, so the ratio says what the report's own
work (the ORM, Python, rendering) costs above what the database has to do anyway.

The statements run unchanged on SQLite (3.31 or later, as Django 5.2 requires: it has
``FILTER`` and ``NULLS LAST``) and PostgreSQL. Table and column names come from the
models' metadata; values (the scheme, the framework, its areas, the published
statuses, booleans) are query parameters.

Under rule *any* a judgement of any element of an area covers the area, so every
published attribute of an area counts, whether or not it names an element.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model

from commoncore.models import PUBLISHED_STATUSES, Area, Attribute, Framework, MappingReview
from iqf.lib.levels import Level, level_code
from qualifications.models import Module, Qualification, QualificationModule
from reports.extra import PAIRINGS_LIMIT, TOP  # what shared-modules lists
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification

LEVELS: list[int] = [value for value, _ in Level.choices]


@dataclass(frozen=True)
class Floor:
    report: str  # the report's name in REPORTS
    sql: str  # what EXPLAIN ANALYZE will be run on
    params: list  # its parameters

    def run(self, cursor) -> list[tuple]:
        cursor.execute(self.sql, self.params)
        return cursor.fetchall()


class _Table:
    """A model's table for SQL templates: ``{qm}`` is the quoted table name and
    ``{qm.module}`` the quoted column of the field ``module`` (``{qm.pk}``: the key)."""

    def __init__(self, model: type[Model]):
        self._model = model

    def __str__(self) -> str:
        return connection.ops.quote_name(self._model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        meta = self._model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        return connection.ops.quote_name(field.column)


TABLES = {
    "q": Qualification,
    "m": Module,
    "qm": QualificationModule,
    "r": Role,
    "c": Cluster,
    "rc": RoleCluster,
    "rq": RoleQualification,
    "att": Attribute,
    "mr": MappingReview,
}

_PARAMETER = re.compile(r"(?<![:\w]):([a-z][a-z0-9_]*)")


def _compile(template: str, values: dict) -> tuple[str, list]:
    """Fill in the table and column names, then turn each ``:name`` into a placeholder and
    its value into a parameter, in the order they appear; a list becomes ``(%s, …)``."""
    text = template.format(**{alias: _Table(model) for alias, model in TABLES.items()})
    params: list = []

    def placeholder(match: re.Match) -> str:
        value = values[match.group(1)]
        if isinstance(value, list | tuple):
            params.extend(value)
            return "(" + ", ".join(["%s"] * len(value)) + ")" if value else "(NULL)"
        params.append(value)
        return "%s"

    sql = _PARAMETER.sub(placeholder, text)
    return sql.strip() + "\n", params


def _level_name(level: int) -> str:
    return f"level_{level_code(level)}"


# -- fragments shared by several statements -----------------------------------------------
# Each is template text as the statements are before ``_compile``: ``{qm.module}`` names a
# column, ``:name`` a parameter.

# The mapped qualifications: a published grid for the framework. One published in two
# rounds is listed twice; every statement reads this through IN or under a GROUP BY.
MAPPED = """mapped AS (
    SELECT mr.{mr.qualification} AS qid
    FROM {mr} mr
    WHERE mr.{mr.framework} = :framework AND mr.{mr.status} IN :published
)"""

# (cluster, qualification) pairs of the scheme: a cluster's qualifications are those linked,
# key or not, to any of its roles.
CLUSTER_QUALIFICATIONS = """
    SELECT DISTINCT rc.{rc.cluster} AS cid, rq.{rq.qualification} AS qid
    FROM {c} c
    JOIN {rc} rc ON rc.{rc.cluster} = c.{c.pk}
    JOIN {rq} rq ON rq.{rq.role} = rc.{rc.role}
    WHERE c.{c.scheme} = :scheme"""


def _flags(numbers: list[int], column: str, otherwise: str = "", indent: int = 11) -> str:
    """One column per area: 1 when some row's ``column`` is the area, else NULL (or
    ``otherwise``), as aggregates over a group; one a line, indented by ``indent``."""
    other = f" ELSE {otherwise}" if otherwise else ""
    return f",\n{' ' * indent}".join(
        f"MAX(CASE WHEN {column} = :area_{n} THEN 1{other} END) AS area_{n}" for n in numbers
    )


def _area_counts(numbers: list[int]) -> str:
    """Per area, how many rows have its flag."""
    return ", ".join(f"COUNT(area_{n}) AS area_{n}" for n in numbers)


def _module_flags(numbers: list[int]) -> str:
    """The CTE ``module_flags``: each distinct module of a mapped qualification once, with
    its level, a 1 per area it covers (NULL: it does not), and ``any_area``, not NULL when
    it covers one."""
    return f"""module_flags AS (
    SELECT m.{{m.pk}} AS mid, m.{{m.level}} AS level,
           {_flags(numbers, "att.{att.area}")},
           MAX(att.{{att.area}}) AS any_area
    FROM {{m}} m
    LEFT JOIN {{att}} att ON att.{{att.module}} = m.{{m.pk}} AND att.{{att.area}} IN :areas
    WHERE m.{{m.pk}} IN (SELECT qm.{{qm.module}} FROM {{qm}} qm
                       WHERE qm.{{qm.qualification}} IN (SELECT qid FROM mapped))
    GROUP BY m.{{m.pk}}, m.{{m.level}}
)"""


# -- the nine floors ----------------------------------------------------------------------


def _provision() -> str:
    """Per (cluster, role) of the scheme, per cluster, and over all clusters: distinct
    qualifications, key ones, and per level. Rows: cluster (NULL on the total row), role
    (NULL on subtotal rows), then the counts; in the report's order."""

    def counts(x: str) -> str:
        levels = [f"COUNT({x}.qid) FILTER (WHERE {x}.level = {n}) AS {_level_name(n)}" for n in LEVELS]
        return ",\n       ".join(
            [
                f"COUNT({x}.qid) AS qualifications",
                f"COUNT({x}.k) AS key_qualifications",
                *levels,
                f"COUNT({x}.qid) FILTER (WHERE {x}.level IS NULL) AS not_levelled",
            ]
        )

    return f"""
WITH links AS (
    SELECT rc.{{rc.cluster}} AS cid, rc.{{rc.role}} AS rid, rq.{{rq.qualification}} AS qid,
           CASE WHEN rq.{{rq.is_key}} = :true THEN 1 END AS k, q.{{q.level}} AS level
    FROM {{c}} c
    JOIN {{rc}} rc ON rc.{{rc.cluster}} = c.{{c.pk}}
    JOIN {{rq}} rq ON rq.{{rq.role}} = rc.{{rc.role}}
    JOIN {{q}} q ON q.{{q.pk}} = rq.{{rq.qualification}}
    WHERE c.{{c.scheme}} = :scheme
),
per_cluster AS (
    SELECT cid, qid, MAX(k) AS k, MAX(level) AS level FROM links GROUP BY cid, qid
),
per_all AS (
    SELECT qid, MAX(k) AS k, MAX(level) AS level FROM per_cluster GROUP BY qid
)
SELECT c.{{c.name}} AS cluster, r.{{r.title}} AS role,
       {counts("l")}
FROM {{c}} c
JOIN {{rc}} rc ON rc.{{rc.cluster}} = c.{{c.pk}}
JOIN {{r}} r ON r.{{r.pk}} = rc.{{rc.role}}
LEFT JOIN links l ON l.cid = rc.{{rc.cluster}} AND l.rid = rc.{{rc.role}}
WHERE c.{{c.scheme}} = :scheme
GROUP BY c.{{c.pk}}, c.{{c.name}}, r.{{r.pk}}, r.{{r.title}}
UNION ALL
SELECT c.{{c.name}}, NULL,
       {counts("pc")}
FROM {{c}} c
LEFT JOIN per_cluster pc ON pc.cid = c.{{c.pk}}
WHERE c.{{c.scheme}} = :scheme
GROUP BY c.{{c.pk}}, c.{{c.name}}
UNION ALL
SELECT NULL, NULL,
       {counts("pa")}
FROM per_all pa
ORDER BY 1 NULLS LAST, 2 NULLS LAST
"""


def _coverage(numbers: list[int]) -> str:
    """Per mapped qualification: ref, title, level, areas covered and a 0/1 per area (its
    own judgements and those of any of its modules)."""
    total = " + ".join(f"area_{n}" for n in numbers) or "0"
    columns = ", ".join(f"area_{n}" for n in numbers)
    return f"""
WITH {MAPPED},
judged AS (
    -- every mapped qualification once, covering an area or not
    SELECT qid, NULL AS area FROM mapped
    UNION ALL
    SELECT att.{{att.qualification}}, att.{{att.area}}
    FROM mapped
    JOIN {{att}} att ON att.{{att.qualification}} = mapped.qid
    WHERE att.{{att.area}} IN :areas
    UNION ALL
    SELECT qm.{{qm.qualification}}, att.{{att.area}}
    FROM mapped
    JOIN {{qm}} qm ON qm.{{qm.qualification}} = mapped.qid
    JOIN {{att}} att ON att.{{att.module}} = qm.{{qm.module}}
    WHERE att.{{att.area}} IN :areas
),
qualification_flags AS (
    SELECT qid,
           {_flags(numbers, "area", otherwise="0")}
    FROM judged
    GROUP BY qid
)
SELECT q.{{q.ref}} AS ref, q.{{q.title}} AS title, q.{{q.level}} AS level,
       {total} AS areas_covered, {columns}
FROM qualification_flags f
JOIN {{q}} q ON q.{{q.pk}} = f.qid
ORDER BY q.{{q.ref}}
"""


def _module_areas(numbers: list[int]) -> str:
    """One row: the distinct modules of mapped qualifications, how many cover each area,
    and how many cover none."""
    return f"""
WITH {MAPPED},
{_module_flags(numbers)}
SELECT COUNT(*) AS modules, {_area_counts(numbers)},
       COUNT(*) - COUNT(any_area) AS no_area
FROM module_flags
"""


def _role_gaps(numbers: list[int]) -> str:
    """Per role of the scheme: key qualifications, mapped ones, and a 1 per area that a
    mapped key qualification covers (NULL: the area is missing)."""
    reached = ",\n           ".join(f"MAX(f.area_{n}) AS area_{n}" for n in numbers)
    columns = ", ".join(f"reach.area_{n}" for n in numbers)
    return f"""
WITH {MAPPED},
roles AS (
    SELECT DISTINCT rc.{{rc.role}} AS rid
    FROM {{c}} c JOIN {{rc}} rc ON rc.{{rc.cluster}} = c.{{c.pk}}
    WHERE c.{{c.scheme}} = :scheme
),
keys AS (
    SELECT rq.{{rq.role}} AS rid, rq.{{rq.qualification}} AS qid,
           CASE WHEN rq.{{rq.qualification}} IN (SELECT qid FROM mapped) THEN 1 END AS is_mapped
    FROM {{rq}} rq
    WHERE rq.{{rq.is_key}} = :true AND rq.{{rq.role}} IN (SELECT rid FROM roles)
),
judged AS (
    SELECT att.{{att.qualification}} AS qid, att.{{att.area}} AS area
    FROM {{att}} att
    WHERE att.{{att.qualification}} IN (SELECT qid FROM keys WHERE is_mapped = 1)
      AND att.{{att.area}} IN :areas
    UNION ALL
    SELECT qm.{{qm.qualification}}, att.{{att.area}}
    FROM {{qm}} qm
    JOIN {{att}} att ON att.{{att.module}} = qm.{{qm.module}}
    WHERE qm.{{qm.qualification}} IN (SELECT qid FROM keys WHERE is_mapped = 1)
      AND att.{{att.area}} IN :areas
),
qualification_flags AS (
    SELECT qid,
           {_flags(numbers, "area")}
    FROM judged
    GROUP BY qid
),
reach AS (
    SELECT keys.rid,
           {reached}
    FROM keys JOIN qualification_flags f ON f.qid = keys.qid
    GROUP BY keys.rid
),
counts AS (
    SELECT rid, COUNT(*) AS n_key, COUNT(is_mapped) AS n_mapped FROM keys GROUP BY rid
)
SELECT r.{{r.title}} AS role, COALESCE(counts.n_key, 0) AS key_qualifications,
       COALESCE(counts.n_mapped, 0) AS mapped_key_qualifications, {columns}
FROM roles
JOIN {{r}} r ON r.{{r.pk}} = roles.rid
LEFT JOIN counts ON counts.rid = roles.rid
LEFT JOIN reach ON reach.rid = roles.rid
ORDER BY r.{{r.title}}
"""


def _level_gaps() -> str:
    """Per cluster of the scheme: a 1 per level at which it has a qualification (NULL: none);
    the missing levels are those between its lowest and highest without one."""
    flags = ",\n       ".join(f"MAX(CASE WHEN cl.level = {n} THEN 1 END) AS {_level_name(n)}" for n in LEVELS)
    return f"""
WITH cluster_levels AS (
    SELECT DISTINCT rc.{{rc.cluster}} AS cid, q.{{q.level}} AS level
    FROM {{c}} c
    JOIN {{rc}} rc ON rc.{{rc.cluster}} = c.{{c.pk}}
    JOIN {{rq}} rq ON rq.{{rq.role}} = rc.{{rc.role}}
    JOIN {{q}} q ON q.{{q.pk}} = rq.{{rq.qualification}}
    WHERE c.{{c.scheme}} = :scheme AND q.{{q.level}} IS NOT NULL
)
SELECT c.{{c.name}} AS cluster,
       {flags}
FROM {{c}} c
LEFT JOIN cluster_levels cl ON cl.cid = c.{{c.pk}}
WHERE c.{{c.scheme}} = :scheme
GROUP BY c.{{c.pk}}, c.{{c.name}}
ORDER BY c.{{c.name}}
"""


def _coverage_by_level(numbers: list[int]) -> str:
    """Per module level (NULL: not levelled) with modules: the distinct modules of mapped
    qualifications, how many cover each area, and how many cover any."""
    return f"""
WITH {MAPPED},
{_module_flags(numbers)}
SELECT level, COUNT(*) AS modules, {_area_counts(numbers)}, COUNT(any_area) AS any_area
FROM module_flags
GROUP BY level
ORDER BY level NULLS LAST
"""


def _coverage_by_cluster(numbers: list[int]) -> str:
    """Per cluster of the scheme: its mapped qualifications, their distinct modules, how
    many of those cover each area, and how many cover any."""
    totals = ", ".join(f"COALESCE(pc.area_{n}, 0) AS area_{n}" for n in numbers)
    return f"""
WITH {MAPPED},
cluster_mapped AS (
    SELECT cq.cid, cq.qid
    FROM ({CLUSTER_QUALIFICATIONS}
    ) cq
    WHERE cq.qid IN (SELECT qid FROM mapped)
),
cluster_modules AS (
    -- each module of a cluster's mapped qualifications once, with the areas it covers
    SELECT cm.cid, qm.{{qm.module}} AS mid,
           {_flags(numbers, "att.{att.area}")},
           MAX(att.{{att.area}}) AS any_area
    FROM cluster_mapped cm
    JOIN {{qm}} qm ON qm.{{qm.qualification}} = cm.qid
    LEFT JOIN {{att}} att ON att.{{att.module}} = qm.{{qm.module}} AND att.{{att.area}} IN :areas
    GROUP BY cm.cid, qm.{{qm.module}}
),
per_cluster AS (
    SELECT cid, COUNT(*) AS modules, {_area_counts(numbers)}, COUNT(any_area) AS any_area
    FROM cluster_modules
    GROUP BY cid
),
n_mapped AS (
    SELECT cid, COUNT(*) AS n FROM cluster_mapped GROUP BY cid
)
SELECT c.{{c.name}} AS cluster, COALESCE(n_mapped.n, 0) AS mapped_qualifications,
       COALESCE(pc.modules, 0) AS modules, {totals},
       COALESCE(pc.any_area, 0) AS any_area
FROM {{c}} c
LEFT JOIN n_mapped ON n_mapped.cid = c.{{c.pk}}
LEFT JOIN per_cluster pc ON pc.cid = c.{{c.pk}}
WHERE c.{{c.scheme}} = :scheme
ORDER BY c.{{c.name}}
"""


def _over_provision() -> str:
    """Per cluster of the scheme: distinct qualifications at each level and not levelled
    (the median of the non-empty levelled cells, and the cells at least twice it, follow
    from these figures)."""
    levels = ",\n       ".join(
        f"COUNT(q.{{q.pk}}) FILTER (WHERE q.{{q.level}} = {n}) AS {_level_name(n)}" for n in LEVELS
    )
    return f"""
WITH cluster_qualifications AS ({CLUSTER_QUALIFICATIONS}
)
SELECT c.{{c.name}} AS cluster,
       {levels},
       COUNT(q.{{q.pk}}) FILTER (WHERE q.{{q.level}} IS NULL) AS not_levelled
FROM {{c}} c
LEFT JOIN cluster_qualifications cq ON cq.cid = c.{{c.pk}}
LEFT JOIN {{q}} q ON q.{{q.pk}} = cq.qid
WHERE c.{{c.scheme}} = :scheme
GROUP BY c.{{c.pk}}, c.{{c.name}}
ORDER BY c.{{c.name}}
"""


# Pairs of qualifications sharing modules: QualificationModule joined to itself on the
# module, each pair once (the lower id first).
PAIRS = """
    FROM {qm} a
    JOIN {qm} b ON b.{qm.module} = a.{qm.module} AND b.{qm.qualification} > a.{qm.qualification}"""


def _shared_modules() -> str:
    """The modules most qualifications use (at least two; mandatory and optional counts),
    then the pairs of qualifications sharing the most modules (the pair's refs in order),
    each list in the report's order and cut at TOP. Rows: kind ('module' or 'pair'), ref,
    title, ref_b, title_b (NULL for a module), the count, mandatory_in, optional_in (NULL for
    a pair).

    Pairs sharing one module are by far the most numerous, and only matter when fewer than
    TOP pairs share two or more: only then are they looked at (a condition the database
    checks once, before starting on them). Like the report, it ranks no pairs when the
    shared modules pair qualifications more than PAIRINGS_LIMIT times."""
    pair = "a.{qm.qualification}, b.{qm.qualification}"
    return f"""
WITH pairings AS (
    SELECT COALESCE(SUM(n * (n - 1) / 2), 0) AS p
    FROM (SELECT COUNT(*) AS n FROM {{qm}} GROUP BY {{qm.module}} HAVING COUNT(*) >= 2) used
),
pairs AS (
    SELECT a.{{qm.qualification}} AS x, b.{{qm.qualification}} AS y, COUNT(*) AS shared{PAIRS}
    WHERE (SELECT p FROM pairings) <= :pairings_limit
    GROUP BY {pair}
    HAVING COUNT(*) >= 2
),
candidates AS (
    SELECT x, y, shared FROM pairs
    WHERE (SELECT COUNT(*) FROM pairs) >= :top
    UNION ALL
    SELECT {pair}, COUNT(*){PAIRS}
    WHERE (SELECT COUNT(*) FROM pairs) < :top AND (SELECT p FROM pairings) <= :pairings_limit
    GROUP BY {pair}
)
SELECT * FROM (
    SELECT 'module' AS kind, m.{{m.ref}} AS ref, m.{{m.title}} AS title, NULL AS ref_b,
           NULL AS title_b, used.n, used.mandatory_in, used.n - used.mandatory_in AS optional_in
    FROM (
        SELECT qm.{{qm.module}} AS mid, COUNT(*) AS n,
               COUNT(*) FILTER (WHERE qm.{{qm.mandatory}} = :true) AS mandatory_in
        FROM {{qm}} qm
        GROUP BY qm.{{qm.module}}
        HAVING COUNT(*) >= 2
    ) used
    JOIN {{m}} m ON m.{{m.pk}} = used.mid
    ORDER BY used.n DESC, m.{{m.ref}}
    LIMIT :top
) top_modules
UNION ALL
SELECT * FROM (
    SELECT 'pair', CASE WHEN qx.{{q.ref}} < qy.{{q.ref}} THEN qx.{{q.ref}} ELSE qy.{{q.ref}} END,
           CASE WHEN qx.{{q.ref}} < qy.{{q.ref}} THEN qx.{{q.title}} ELSE qy.{{q.title}} END,
           CASE WHEN qx.{{q.ref}} < qy.{{q.ref}} THEN qy.{{q.ref}} ELSE qx.{{q.ref}} END,
           CASE WHEN qx.{{q.ref}} < qy.{{q.ref}} THEN qy.{{q.title}} ELSE qx.{{q.title}} END,
           candidates.shared, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)
    FROM candidates
    JOIN {{q}} qx ON qx.{{q.pk}} = candidates.x
    JOIN {{q}} qy ON qy.{{q.pk}} = candidates.y
    ORDER BY 6 DESC, 2, 4
    LIMIT :top
) top_pairs
"""


def floors() -> dict[str, Floor]:
    """One floor per report, for the current database's default scheme and framework."""
    scheme = ClusterScheme.objects.filter(is_default=True).values_list("pk", flat=True).first()
    framework = Framework.objects.filter(is_default=True).values_list("pk", flat=True).first()
    areas = list(Area.objects.filter(framework_id=framework).order_by("number").values_list("pk", "number"))
    numbers = [number for _, number in areas]
    values = {
        "scheme": scheme,
        "framework": framework,
        "published": [str(s) for s in PUBLISHED_STATUSES],
        "areas": [pk for pk, _ in areas],
        "true": True,
        "top": TOP,
        "pairings_limit": PAIRINGS_LIMIT,
        **{f"area_{number}": pk for pk, number in areas},
    }
    templates = {
        "provision": _provision(),
        "coverage": _coverage(numbers),
        "module-areas": _module_areas(numbers),
        "role-gaps": _role_gaps(numbers),
        "level-gaps": _level_gaps(),
        "coverage-by-level": _coverage_by_level(numbers),
        "coverage-by-cluster": _coverage_by_cluster(numbers),
        "over-provision": _over_provision(),
        "shared-modules": _shared_modules(),
    }
    return {name: Floor(name, *_compile(template, values)) for name, template in templates.items()}
