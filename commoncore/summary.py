"""Keeping the coverage summary (``QualificationCoverage``) equal to what the published
judgements say.

The summary is derived from two tables: ``Attribute`` (published judgements of modules
and of qualifications as a whole) and ``QualificationModule`` (which modules a
qualification has, and whether each is mandatory). Every write to either refreshes the
qualifications it touches, in the same transaction (the registry of derived data,
``iqf.lib.derived``, sees every write through the ORM; the imports call :func:`refresh`
once for all their rows), so pages and reports can trust the summary. ``manage.py
refresh_derived`` rebuilds it whole.

A refresh is set-based: it deletes the qualifications' rows and inserts them again from
one ``INSERT … SELECT`` that pools each qualification's own judgements with those of its
modules and groups them by area, in a handful of statements whatever the data's size.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Field, Model

from commoncore.models import Area, Attribute, QualificationCoverage
from iqf.lib.derived import Derived, Source, Stale, lock_rows
from qualifications.models import Qualification, QualificationModule

#: Above this many qualifications a refresh rebuilds the whole summary: one pass over
#: every judgement costs less than many statements with long lists of ids.
FULL_REFRESH_ABOVE = 20_000
#: How many qualification ids one statement names.
CHUNK = 2_000


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _col(model: type[Model], field: str) -> str:
    concrete = model._meta.get_field(field)
    assert isinstance(concrete, Field)
    return connection.ops.quote_name(concrete.column)


#: The summary's columns, in the order the SELECT gives them.
COLUMNS = [
    "qualification",
    "framework",
    "area",
    "whole_possible",
    "whole_guaranteed",
    "elements_possible",
    "elements_guaranteed",
]


def summary_select(where: str = "") -> str:
    """The ``SELECT`` of the summary rows of the qualifications the condition ``where``
    (on a qualification id written ``{q}``) chooses; every qualification when empty.

    Each judgement reaches a qualification either directly (its own: counts as possible
    and guaranteed) or through a module of it (guaranteed only when the module is
    mandatory there). The inner grouping keeps one row per judged (qualification, area,
    element) with whether any route to it is guaranteed; the outer one folds them by area.
    """
    a, qm, ar = Attribute, QualificationModule, Area
    a_qualification, qm_qualification = _col(a, "qualification"), _col(qm, "qualification")
    own_filter = "AND " + where.format(q="a." + a_qualification) if where else ""
    through_filter = "WHERE " + where.format(q="qm." + qm_qualification) if where else ""
    return f"""
        SELECT p.q, ar.{_col(ar, "framework")}, p.area_id,
            MAX(CASE WHEN p.element_id IS NULL THEN 1 ELSE 0 END) = 1,
            MAX(CASE WHEN p.element_id IS NULL THEN p.g ELSE 0 END) = 1,
            COUNT(p.element_id),
            SUM(CASE WHEN p.element_id IS NULL THEN 0 ELSE p.g END)
        FROM (
            SELECT j.q, j.area_id, j.element_id, MAX(j.g) AS g
            FROM (
                SELECT a.{a_qualification} AS q, a.{_col(a, "area")} AS area_id,
                    a.{_col(a, "element")} AS element_id, 1 AS g
                FROM {_table(a)} a
                WHERE a.{a_qualification} IS NOT NULL {own_filter}
                UNION ALL
                SELECT qm.{qm_qualification}, a.{_col(a, "area")}, a.{_col(a, "element")},
                    CASE WHEN qm.{_col(qm, "mandatory")} THEN 1 ELSE 0 END
                FROM {_table(qm)} qm
                JOIN {_table(a)} a ON a.{_col(a, "module")} = qm.{_col(qm, "module")}
                {through_filter}
            ) j
            GROUP BY j.q, j.area_id, j.element_id
        ) p
        JOIN {_table(ar)} ar ON ar.{_col(ar, "id")} = p.area_id
        GROUP BY p.q, ar.{_col(ar, "framework")}, p.area_id
    """


def _rebuild(where: str = "", params: list[int] | None = None) -> None:
    """Delete the summary rows the condition chooses and insert them again."""
    s = QualificationCoverage
    delete = f"DELETE FROM {_table(s)}" + (
        " WHERE " + where.format(q=_col(s, "qualification")) if where else ""
    )
    insert = f"INSERT INTO {_table(s)} ({', '.join(_col(s, c) for c in COLUMNS)}) " + summary_select(where)
    with connection.cursor() as cursor:
        # A plain DELETE: the ORM's would load every row first, to send signals.
        cursor.execute(delete, params or None)
        # Both branches of the union name the same qualifications.
        cursor.execute(insert, (params or []) * 2 if where else None)


@transaction.atomic
def refresh(qualification_ids: Iterable[int] | None = None) -> None:
    """Recompute the summary rows of the given qualifications (None: of all of them)
    from their published judgements and their modules'. Call it in the transaction
    that changed an Attribute or a QualificationModule, with every qualification the
    change touches (see :func:`affected_by_modules`)."""
    if qualification_ids is not None:
        ids = sorted(set(qualification_ids))
        if not ids:
            return
        if len(ids) <= FULL_REFRESH_ABOVE:
            # Refreshers of the same qualifications take turns, so that each one's
            # DELETE sees the rows the other inserted.
            for chunk in lock_rows(Qualification, ids):
                _rebuild("{q} IN (" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
            return
    _rebuild()


def affected_by_modules(module_ids: Iterable[int]) -> set[int]:
    """The qualifications that contain any of the modules: those whose coverage changes
    when the modules' judgements do."""
    ids = sorted(set(module_ids))
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        found.update(
            QualificationModule.objects.filter(module_id__in=ids[start : start + CHUNK])
            .values_list("qualification_id", flat=True)
            .distinct()
        )
    return found


def _normal(row) -> tuple:
    q, framework, area, whole_possible, whole_guaranteed, possible, guaranteed = row
    return (
        q,
        framework,
        area,
        bool(whole_possible),
        bool(whole_guaranteed),
        int(possible),
        int(guaranteed or 0),
    )


def check(qualification_ids: Iterable[int] | None = None) -> list[Stale]:
    """The summary rows (of the given qualifications, or of all) that differ from what
    the judgements and memberships say: wrong figures, missing rows and extra rows."""
    s = QualificationCoverage
    stored_sql = f"SELECT {', '.join(_col(s, c) for c in COLUMNS)} FROM {_table(s)}"
    if qualification_ids is None:
        chunks: list[list[int] | None] = [None]
    else:
        ordered = sorted(set(qualification_ids))
        chunks = [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]
    found = []
    for chunk in chunks:
        where = "" if chunk is None else "{q} IN (" + ", ".join(["%s"] * len(chunk)) + ")"
        with connection.cursor() as cursor:
            cursor.execute(summary_select(where), chunk * 2 if chunk else None)
            recomputed = {r[:3]: r for r in map(_normal, cursor.fetchall())}
            cursor.execute(
                stored_sql + (" WHERE " + where.format(q=_col(s, "qualification")) if where else ""),
                chunk or None,
            )
            stored = {r[:3]: r for r in map(_normal, cursor.fetchall())}
        for key in sorted(stored.keys() | recomputed.keys()):
            have, want = stored.get(key), recomputed.get(key)
            row = f"qualification {key[0]} framework {key[1]} area {key[2]}"
            if have is None or want is None:
                found.append(
                    Stale(
                        s._meta.db_table,
                        row,
                        "(row)",
                        "absent" if have is None else "present",
                        "absent" if want is None else "present",
                    )
                )
                continue
            for name, stored_value, value in zip(COLUMNS[3:], have[3:], want[3:], strict=True):
                if stored_value != value:
                    found.append(Stale(s._meta.db_table, row, name, stored_value, value))
    return found


def _through_modules(attributes) -> set[int]:
    own = set(attributes.exclude(qualification=None).order_by().values_list("qualification_id", flat=True))
    via = set(
        QualificationModule.objects.filter(module__in=attributes.exclude(module=None).values("module"))
        .order_by()
        .values_list("qualification_id", flat=True)
    )
    return own | via


def _reached_by_attribute(attribute: Attribute) -> set[int]:
    reached = {attribute.qualification_id} if attribute.qualification_id else set()
    if attribute.module_id:
        reached |= affected_by_modules([attribute.module_id])
    return reached


ATTRIBUTE_FIELDS = frozenset(
    {"area", "area_id", "element", "element_id", "qualification", "qualification_id", "module", "module_id"}
)
COVERAGE_SUMMARY = Derived(
    name="coverage summary",
    stored_in="commoncore_qualificationcoverage",
    sources=(
        Source(
            Attribute,
            reach=_through_modules,
            reach_row=_reached_by_attribute,
            moves=True,
            fields=ATTRIBUTE_FIELDS,
        ),
        Source(
            QualificationModule,
            reach=lambda rows: rows.order_by().values_list("qualification_id", flat=True),
            reach_row=lambda membership: [membership.qualification_id],
            moves=True,
            fields=frozenset({"qualification", "qualification_id", "module", "module_id", "mandatory"}),
        ),
        Source(
            Area,
            reach=lambda rows: _through_modules(Attribute.objects.filter(area__in=rows)),
            fields=frozenset({"framework", "framework_id"}),
            on_create=False,
        ),
    ),
    refresh=refresh,
    check=check,
)
