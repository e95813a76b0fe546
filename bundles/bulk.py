"""Set-based writes for imports: create or update many rows of one model, each with its
history row, in a fixed handful of statements whatever their number.

Django's ``bulk_create`` and simple-history's ``bulk_create_with_history`` prepare every
value of every row through the query compiler and build a second model instance per
history row; at hundreds of thousands of rows that is most of an import's time. Here
the rows go to the database as plain tuples: ``COPY`` on PostgreSQL (updates through a
temporary table), ``executemany`` on SQLite. Ids are reserved from the table's own
sequence first, so the caller's instances carry them as after ``save()``.

The history rows are those simple-history writes: every tracked field, the date, the
user, the reason and ``+`` (created) or ``~`` (changed).

These writes are hand-written SQL, so the derived data of the rows they write are the
caller's to refresh (``iqf.lib.derived.refreshed_by_caller``): every import refreshes
them for all its rows at once.
"""

import csv
import datetime
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from iqf.lib.derived import refreshed_by_caller
from iqf.lib.pagecache import content_changed

#: What COPY's text format escapes inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: Field types whose Python values the database drivers take as they are.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)


@refreshed_by_caller()
def create_with_history(objs: Sequence[models.Model], *, user=None, reason: str = "") -> None:
    """Insert the unsaved ``objs`` (all of one model), giving each its id, and one
    ``+`` history row each. The history rows are copied from the rows just written, in
    the database, rather than sent a second time."""
    if not objs:
        return
    model = type(objs[0])
    now = timezone.now()
    fields = model._meta.concrete_fields
    stamped = [
        f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    pk_attname = model._meta.pk.attname
    ids = reserve_ids(model, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        state = obj.__dict__
        state[pk_attname] = pk
        for attname in stamped:
            state[attname] = now
    history = _history_insert(model, kind="+", user=user, reason=reason, now=now)
    rows = _values(objs, fields)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_column = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and history is not None:
            # the rows go once into a temporary table, and from there into the table
            # and its history
            staging = quote(f"bulk_create_{model._meta.db_table}")
            columns = ", ".join(quote(f.column) for f in fields)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            _copy(cursor, staging, fields, rows)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}")
            sql, params = history
            cursor.execute(f"{sql} FROM {staging} ORDER BY {pk_column}", params)
            cursor.execute(f"DROP TABLE {staging}")
        else:
            _write(model, fields, rows)
            if history is not None:
                # SQLite's ids are one run (reserve_ids), all of them this transaction's
                sql, params = history
                cursor.execute(
                    f"{sql} FROM {table} WHERE {pk_column} BETWEEN %s AND %s ORDER BY {pk_column}",
                    [*params, ids[0], ids[-1]],
                )
    alias = connection.alias
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


@refreshed_by_caller()
def update_with_history(
    objs: Sequence[models.Model], fields: Iterable[str], *, user=None, reason: str = ""
) -> None:
    """Write the named fields of the saved ``objs`` (all of one model) and one ``~``
    history row each."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    chosen = [_concrete(opts.get_field(name)) for name in fields]
    pk = _concrete(opts.pk)
    table = connection.ops.quote_name(opts.db_table)
    quote = connection.ops.quote_name
    rows = _values(objs, [pk, *chosen])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = quote(f"bulk_update_{opts.db_table}")
            columns = ", ".join(quote(f.column) for f in [pk, *chosen])
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            _copy(cursor, staging, [pk, *chosen], rows)
            assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in chosen)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {staging} s "
                f"WHERE {table}.{quote(pk.column)} = s.{quote(pk.column)}"
            )
            cursor.execute(f"DROP TABLE {staging}")
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in chosen)
            # (sqlite3 takes the rows from any iterable, one at a time; the stubs ask
            # for a sequence, which would hold them all at once)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s",
                (row[1:] + row[:1] for row in rows),  # type: ignore[arg-type]
            )
    _write_history(objs, kind="~", user=user, reason=reason, now=timezone.now())


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` unused ids for new rows of ``model``'s table, taken in one query."""
    opts = model._meta
    table = opts.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), opts.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        # SQLite hands out one more than the largest id ever used (AUTOINCREMENT keeps
        # that in sqlite_sequence, even after deletes); writers take turns, and one that
        # raced ahead makes this insert fail on the primary key rather than merge rows.
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX({quote(opts.pk.column)}) FROM {quote(table)}), 0),"
            " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


# -- writing rows ----------------------------------------------------------------------


def _history_fields(model: type[models.Model], fixed: dict[str, Any]):
    """The history model of ``model`` and its columns: those copied from the tracked
    fields, and those ``fixed`` fills (date, user, reason, kind)."""
    with_history: Any = model  # a model with history (iqf.lib.history.History)
    history = with_history.history.model
    tracked = {f.attname for f in history.tracked_fields}
    fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    unknown = [f.attname for f in fields if f.attname not in tracked and f.attname not in fixed]
    if unknown:
        raise ValueError(f"{history.__name__} has fields the bulk writer does not fill: {unknown}")
    copied = [f for f in fields if f.attname in tracked]
    extra = [f for f in fields if f.attname in fixed]
    return history, copied, extra


def _history_fixed(*, kind: str, user, reason: str, now: datetime.datetime) -> dict[str, Any]:
    return {
        "history_date": now,
        "history_user_id": user.pk if user else None,
        "history_change_reason": reason or "",
        "history_type": kind,
    }


def _history_insert(
    model: type[models.Model], *, kind: str, user, reason: str, now: datetime.datetime
) -> tuple[str, list[Any]] | None:
    """The start of an ``INSERT INTO <history> (...) SELECT ...`` that copies the tracked
    columns of rows of ``model``'s table (or of a table of the same columns) named in a
    ``FROM`` the caller adds, with its parameters; None when history is off."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    fixed = _history_fixed(kind=kind, user=user, reason=reason, now=now)
    history, copied, extra = _history_fields(model, fixed)
    quote = connection.ops.quote_name
    source = {f.attname: f.column for f in model._meta.concrete_fields}
    columns = ", ".join(quote(f.column) for f in copied + extra)
    selected = ", ".join([quote(source[f.attname]) for f in copied] + ["%s"] * len(extra))
    params = [f.get_db_prep_save(fixed[f.attname], connection) for f in extra]
    return (f"INSERT INTO {quote(history._meta.db_table)} ({columns}) SELECT {selected}", params)


def _write_history(
    objs: Sequence[models.Model], *, kind: str, user, reason: str, now: datetime.datetime
) -> None:
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    fixed = _history_fixed(kind=kind, user=user, reason=reason, now=now)
    history, copied, extra = _history_fields(type(objs[0]), fixed)
    constants = tuple(_prepare(f)(fixed[f.attname]) for f in extra)
    if connection.vendor == "postgresql":  # the same date on every row: written out once
        constants = tuple(v.isoformat() if isinstance(v, datetime.datetime) else v for v in constants)
    rows = (row + constants for row in _values(objs, copied))
    _write(history, copied + extra, rows, never_null={"history_change_reason"})


def _prepare(field: models.Field) -> Callable[[Any], Any]:
    """How a value of ``field`` reaches the database driver: as it is for plain types,
    through the field's own preparation for the rest (dates, decimals, JSON)."""
    if isinstance(field, _PLAIN_FIELDS):
        return _same
    if connection.vendor == "postgresql":
        if isinstance(field, models.JSONField):
            return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
        return _same  # COPY reads dates, times and decimals from their text
    last: list[Any] = [_same, None]  # the value prepared last and what it gave

    def prepare(value: Any) -> Any:
        # the time stamps of a batch are all one object: prepared once
        if value is not last[0]:
            last[:] = [value, field.get_db_prep_save(value, connection)]
        return last[1]

    return prepare


def _same(value: Any) -> Any:
    return value


def _concrete(field: Any) -> models.Field:
    """A model's own column (not a relation's other end)."""
    assert isinstance(field, models.Field), field
    return field


def _values(objs: Sequence[models.Model], fields: Sequence[models.Field]) -> Iterator[tuple]:
    attnames = [f.attname for f in fields]
    prepares = [_prepare(f) for f in fields]
    if all(p is _same for p in prepares):
        for obj in objs:
            state = obj.__dict__
            yield tuple(state[name] for name in attnames)
        return
    pairs = list(zip(attnames, prepares, strict=True))
    for obj in objs:
        state = obj.__dict__
        yield tuple(prepare(state[name]) for name, prepare in pairs)


def _write(
    model, fields: Sequence[models.Field], rows: Iterable[tuple], *, never_null: Iterable[str] = ()
) -> None:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, table, fields, rows, never_null=never_null)
        else:
            columns = ", ".join(quote(f.column) for f in fields)
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # type: ignore[arg-type]


def _copy(
    cursor,
    table: str,
    fields: Sequence[models.Field],
    rows: Iterable[tuple],
    *,
    never_null: Iterable[str] = (),
) -> None:
    """COPY ``rows`` in. Every value is written quoted in CSV, so an empty text is an
    empty text; ``None`` becomes NULL through FORCE_NULL in the nullable columns that are
    not text. A nullable text column (unless ``never_null`` vouches for its values) needs
    COPY's own text format, where NULL is written apart from any text."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    raw = cursor.cursor  # psycopg2's own cursor: Django's wrapper has no copy_expert
    textual = (models.CharField, models.TextField, models.JSONField)
    if any(f.null and isinstance(f, textual) and f.attname not in never_null for f in fields):
        stream = _TextStream(rows, [_copy_format(f) for f in fields])
        raw.copy_expert(f"COPY {table} ({columns}) FROM STDIN", stream, size=1 << 20)
    else:
        nullable = ", ".join(quote(f.column) for f in fields if f.null and not isinstance(f, textual))
        options = "FORMAT csv" + (f", FORCE_NULL ({nullable})" if nullable else "")
        raw.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN WITH ({options})", _CsvStream(rows), size=1 << 20
        )
    # the driver's own cursor passes by the watch that ends cached pages
    content_changed(cursor.db)


class _Stream:
    """Rows turned into text piece by piece, read as a file by ``copy_expert``, so that a
    large sheet is never one string. Subclasses say how the next rows are written."""

    def __init__(self, rows: Iterable[tuple]):
        self._rows = iter(rows)
        self._pending = ""

    def _more(self) -> str:
        raise NotImplementedError

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._pending) < size:
            more = self._more()
            if not more:
                break
            self._pending += more
        if size < 0:
            chunk, self._pending = self._pending, ""
        else:
            chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk


class _CsvStream(_Stream):
    """The rows as CSV with every value quoted."""

    def __init__(self, rows: Iterable[tuple]):
        super().__init__(rows)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")

    def _more(self) -> str:
        self._writer.writerows(itertools.islice(self._rows, 2000))
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def _copy_format(field: models.Field) -> Callable[[Any], str]:
    """How COPY's text format writes a value of ``field``: NULL as ``\\N``, text escaped."""
    if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
        return lambda value: "\\N" if value is None else value.translate(_COPY_ESCAPES)
    if isinstance(field, (models.IntegerField, models.ForeignKey)):
        return lambda value: "\\N" if value is None else str(value)
    return _copy_text


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class _TextStream(_Stream):
    """The rows in COPY's text format."""

    def __init__(self, rows: Iterable[tuple], formats: list[Callable[[Any], str]]):
        super().__init__(rows)
        self._formats = formats

    def _more(self) -> str:
        formats = self._formats
        lines = [
            "\t".join([write(value) for write, value in zip(formats, row, strict=True)])
            for row in itertools.islice(self._rows, 2000)
        ]
        return "\n".join(lines) + "\n" if lines else ""
