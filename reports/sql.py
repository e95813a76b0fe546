"""Helpers for the few report statements written as SQL around a compiled Django queryset:
quoted names, the queryset's SQL, and rows as dicts. They run unchanged on SQLite and
PostgreSQL."""

from django.db import connection
from django.db.models import QuerySet


def name(model, field: str | None = None) -> str:
    """The quoted table of ``model``, or the quoted column of its ``field`` (``"pk"``: its key)."""
    meta = model._meta
    if field is None:
        return connection.ops.quote_name(meta.db_table)
    column = meta.pk.column if field == "pk" else meta.get_field(field).column
    return connection.ops.quote_name(column)


def compiled(queryset: QuerySet) -> tuple[str, list]:
    """The SELECT a queryset runs, and its parameters."""
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def fetch(sql: str, params: list) -> list[dict]:
    """Every row of a statement, as a dict by column name."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
