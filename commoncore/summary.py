"""Keeping the coverage summary (``QualificationCoverage``) equal to what the published
judgements say.

The summary is derived from two tables: ``Attribute`` (published judgements of modules
and of qualifications as a whole) and ``QualificationModule`` (which modules a
qualification has, and whether each is mandatory). Every write to either calls
:func:`refresh` for the qualifications it touches, in the same transaction, so pages and
reports can trust the summary. ``manage.py refresh_coverage`` rebuilds it whole.

A refresh is set-based: it deletes the qualifications' rows and inserts them again from
one ``INSERT … SELECT`` that pools each qualification's own judgements with those of its
modules and groups them by area, in a handful of statements whatever the data's size.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Model

from commoncore.models import Area, Attribute, QualificationCoverage
from iqf.lib.derived import lock_rows
from qualifications.models import Qualification, QualificationModule

#: Above this many qualifications a refresh rebuilds the whole summary: one pass over
#: every judgement costs less than many statements with long lists of ids.
FULL_REFRESH_ABOVE = 20_000
#: How many qualification ids one statement names.
CHUNK = 2_000


def rebuild_sql(*, summary: type[Model], attribute: type[Model], membership: type[Model],
                area: type[Model], where: str = "") -> str:
    """The ``INSERT … SELECT`` that writes the summary rows of the qualifications the
    condition ``where`` (on a qualification id written ``{q}``) chooses; every
    qualification when empty. Takes the models so that a migration can pass its own.

    Each judgement reaches a qualification either directly (its own: counts as possible
    and guaranteed) or through a module of it (guaranteed only when the module is
    mandatory there). The inner grouping keeps one row per judged (qualification, area,
    element) with whether any route to it is guaranteed; the outer one folds them by area.
    """

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def col(model, field: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(field).column)

    a, qm, ar, s = attribute, membership, area, summary
    a_qualification, qm_qualification = col(a, "qualification"), col(qm, "qualification")
    own_filter = "AND " + where.format(q="a." + a_qualification) if where else ""
    through_filter = "WHERE " + where.format(q="qm." + qm_qualification) if where else ""
    return f"""
        INSERT INTO {table(s)} ({col(s, 'qualification')}, {col(s, 'framework')},
            {col(s, 'area')}, {col(s, 'whole_possible')}, {col(s, 'whole_guaranteed')},
            {col(s, 'elements_possible')}, {col(s, 'elements_guaranteed')})
        SELECT p.q, ar.{col(ar, 'framework')}, p.area_id,
            MAX(CASE WHEN p.element_id IS NULL THEN 1 ELSE 0 END) = 1,
            MAX(CASE WHEN p.element_id IS NULL THEN p.g ELSE 0 END) = 1,
            COUNT(p.element_id),
            SUM(CASE WHEN p.element_id IS NULL THEN 0 ELSE p.g END)
        FROM (
            SELECT j.q, j.area_id, j.element_id, MAX(j.g) AS g
            FROM (
                SELECT a.{a_qualification} AS q, a.{col(a, 'area')} AS area_id,
                    a.{col(a, 'element')} AS element_id, 1 AS g
                FROM {table(a)} a
                WHERE a.{a_qualification} IS NOT NULL {own_filter}
                UNION ALL
                SELECT qm.{qm_qualification}, a.{col(a, 'area')}, a.{col(a, 'element')},
                    CASE WHEN qm.{col(qm, 'mandatory')} THEN 1 ELSE 0 END
                FROM {table(qm)} qm
                JOIN {table(a)} a ON a.{col(a, 'module')} = qm.{col(qm, 'module')}
                {through_filter}
            ) j
            GROUP BY j.q, j.area_id, j.element_id
        ) p
        JOIN {table(ar)} ar ON ar.{col(ar, 'id')} = p.area_id
        GROUP BY p.q, ar.{col(ar, 'framework')}, p.area_id
    """


def _rebuild(where: str = "", params: list[int] | None = None) -> None:
    """Delete the summary rows the condition chooses and insert them again."""
    summary = QualificationCoverage._meta
    table = connection.ops.quote_name(summary.db_table)
    column = connection.ops.quote_name(summary.get_field("qualification").column)
    delete = f"DELETE FROM {table}" + (" WHERE " + where.format(q=column) if where else "")
    insert = rebuild_sql(summary=QualificationCoverage, attribute=Attribute,
                         membership=QualificationModule, area=Area, where=where)
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
            QualificationModule.objects.filter(module_id__in=ids[start:start + CHUNK])
            .values_list("qualification_id", flat=True).distinct()
        )
    return found
