"""Derived data: values stored for speed that other rows determine, and the one owner that
keeps them equal to those rows.

Every derived value is registered here (``register``, from its app's ``ready``) with the
tables it derives from, how to recompute it for some rows or for all, and how to find the
rows where it is stale. ``manage.py refresh_derived`` rebuilds them all, and ``--check``
names every stale one.

**The rule for every source table**, whatever writes to it:

- Through the ORM, the derived values stay exact in the same transaction. A model's
  ``save()``, ``create()`` and ``delete()`` (cascades included) are seen by the signal
  handlers connected here; a source model's queryset (``SourceQuerySet``) refreshes after
  ``update()``, ``bulk_create()``, ``bulk_update()`` and ``delete()``. Inside
  ``batch()`` the refreshes wait for the end of the block and run once for every row the
  block touched.
- The stored values are written by their refresh alone. A save that names one (a row
  read before a refresh holds an old value) is refreshed after; a queryset ``update()``
  or SQL that writes one directly is a corruption that ``refresh_derived --check`` names
  and ``refresh_derived`` repairs.
- Hand-written SQL that writes to a source table is refused (``DerivedStateError``),
  unless it runs inside ``refreshed_by_caller()``, by which the caller takes on refreshing
  what it wrote (the bulk writer of imports does, and its callers refresh; so does the
  data generator, which rebuilds everything after). The database
  connection's execute wrapper sees every statement, the ORM's and any other, and tells
  them apart by whether Django's SQL compiler issued it.
"""

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, signals
from django.db.models.expressions import BaseExpression
from django.db.models.sql import compiler

from iqf.lib.statements import written_table

#: How many ids one statement names.
CHUNK = 2_000

#: Which rows of a derived value some source rows reach: given a queryset of the source
#: rows, the ids of the derived rows (qualifications, for every value so far); None when
#: they may reach any row, so that the whole value is recomputed.
Reach = Callable[[models.QuerySet], Iterable[int] | None]


class DerivedStateError(Exception):
    """A write that would leave a derived value stale; the message names what to call."""


@dataclass(frozen=True)
class Stale:
    """One stored value that differs from what its sources say."""

    table: str
    row: str
    field: str
    stored: Any
    recomputed: Any

    def __str__(self) -> str:
        return f"{self.table} {self.row} {self.field}: stored {self.stored!r}, recomputed {self.recomputed!r}"


@dataclass(frozen=True)
class Source:
    """A table a derived value is computed from: which derived rows its rows reach (from a
    queryset of them, and, where the row itself says, from one row in memory), and which
    of its fields matter (None: any field, and a row's coming or going)."""

    model: type[models.Model]
    reach: Reach
    fields: frozenset[str] | None = None
    reach_row: Callable[[Any], Iterable[int] | None] | None = None
    #: a saved row may reach other derived rows than before (its key to them changed),
    #: so the rows it reached are read before the save
    moves: bool = False
    #: hand-written SQL writing to the table is refused; False for the table that stores
    #: the value itself, whose other columns it may write freely
    guarded: bool = True
    #: a new row can change a derived value; False where nothing refers to a new row yet
    #: (a provider, region or area: no offering or judgement can name it before it exists)
    #: or the new row holds the value itself, at its default
    on_create: bool = True

    def concerns(self, written: Iterable[str] | None) -> bool:
        return written is None or self.fields is None or bool(self.fields & set(written))

    def reached_by(self, instance: models.Model) -> set[int] | None:
        if self.reach_row is not None:
            reached = self.reach_row(instance)
        else:
            reached = self.reach(type(instance)._base_manager.filter(pk=instance.pk))
        return None if reached is None else set(reached)


@dataclass(frozen=True)
class Derived:
    """A derived value: where it is stored, what it is derived from, and how to recompute
    and check it, for the given derived rows (ids) or, with None, for all of them."""

    name: str
    stored_in: str
    sources: tuple[Source, ...]
    refresh: Callable[[Iterable[int] | None], Any]
    check: Callable[[Iterable[int] | None], list[Stale]]
    #: what one stored row stands for, in messages ("qualifications")
    rows: str = "rows"
    source_tables: frozenset[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "source_tables", frozenset(s.model._meta.db_table for s in self.sources))


#: Every derived value, by name, in the order they were registered.
REGISTRY: dict[str, Derived] = {}
#: The tables hand-written SQL may not write to without refreshed_by_caller().
_GUARDED: dict[str, list[str]] = {}


def register(derived: Derived) -> None:
    """Name a derived value and connect the handlers that keep it exact on every save and
    delete of its source models (once, however often the app is readied)."""
    REGISTRY[derived.name] = derived
    for source in derived.sources:
        names = _GUARDED.setdefault(source.model._meta.db_table, []) if source.guarded else []
        if source.guarded and derived.name not in names:
            names.append(derived.name)
        uid = f"iqf-derived-{derived.name}-{source.model._meta.label_lower}"
        signals.pre_save.connect(_saving, sender=source.model, dispatch_uid=uid + "-pre")
        signals.post_save.connect(_saved, sender=source.model, dispatch_uid=uid + "-post")
        signals.pre_delete.connect(_deleting, sender=source.model, dispatch_uid=uid + "-del")
        signals.post_delete.connect(_deleted, sender=source.model, dispatch_uid=uid + "-deleted")


def sources_of(model: type[models.Model]) -> list[tuple[Derived, Source]]:
    return [(d, s) for d in REGISTRY.values() for s in d.sources if s.model is model]


# -- refreshing what writes touched ------------------------------------------------------

#: Inside batch(): the derived rows touched so far, by derived value (None: all rows).
_pending: ContextVar[dict[str, set[int] | None] | None] = ContextVar("derived_pending", default=None)
#: Inside refreshed_by_caller(): writes refresh nothing, and hand-written SQL may write to
#: source tables; the caller refreshes what it wrote.
_caller_refreshes: ContextVar[bool] = ContextVar("derived_caller_refreshes", default=False)
#: Inside a queryset's own delete(): the model whose rows it has already reached.
_reached: ContextVar[type[models.Model] | None] = ContextVar("derived_reached", default=None)


def _defer_or_refresh(derived: Derived, ids: set[int] | None) -> None:
    """Refresh the derived rows now or, inside batch(), note them for its end."""
    pending = _pending.get()
    if pending is None:
        if ids is None or ids:
            derived.refresh(ids)
    elif ids is None:
        pending[derived.name] = None
    elif derived.name not in pending:
        pending[derived.name] = set(ids)
    else:
        noted = pending[derived.name]
        if noted is not None:  # None: every row already
            noted.update(ids)


def touched(
    model: type[models.Model],
    rows: models.QuerySet,
    written: Iterable[str] | None = None,
    *,
    created: bool = False,
) -> None:
    """The source rows ``rows`` of ``model`` were (or are about to be) written: refresh the
    derived rows they reach, now or, inside batch(), at its end. ``written`` names the
    fields written, when known; ``created``, that the rows are new."""
    if _caller_refreshes.get():
        return
    for derived, source in sources_of(model):
        if (source.on_create or not created) and source.concerns(written):
            reached = source.reach(rows)
            _defer_or_refresh(derived, None if reached is None else set(reached))


@contextmanager
def batch() -> Iterator[None]:
    """Writes inside the block refresh what they touched once, on leaving it, in the same
    transaction. Nested blocks leave the refreshing to the outermost."""
    if _pending.get() is not None:
        yield
        return
    # one transaction for the writes and their refresh; inside one already, that one
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        token = _pending.set({})
        try:
            yield
            pending = _pending.get() or {}
        finally:
            _pending.reset(token)
        for name, ids in pending.items():
            if ids is None or ids:
                REGISTRY[name].refresh(ids)


def _saving(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    # The row as it was: a link moved to another qualification leaves the one it left.
    if _caller_refreshes.get():
        instance._derived_was = []
        return
    instance._derived_was = (
        [
            (derived, _evaluated(source.reach(sender._base_manager.filter(pk=instance.pk))))
            for derived, source in sources_of(sender)
            if source.moves and source.concerns(update_fields)
        ]
        if instance.pk is not None and not instance._state.adding
        else []
    )


def _evaluated(reached: Iterable[int] | None) -> set[int] | None:
    return None if reached is None else set(reached)


def _saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    was = {d.name: r for d, r in getattr(instance, "_derived_was", ())}
    instance._derived_was = []
    if _caller_refreshes.get():
        return
    for derived, source in sources_of(sender):
        if created and not source.on_create or not source.concerns(None if created else update_fields):
            continue
        now = source.reached_by(instance)
        before = was.get(derived.name, set())
        _defer_or_refresh(derived, None if now is None or before is None else now | before)


def _deleting(sender, instance, **kwargs) -> None:
    if _reached.get() is sender or _caller_refreshes.get():
        instance._derived_was = []  # its queryset reached every row it deletes, at once
        return
    instance._derived_was = [(derived, source.reached_by(instance)) for derived, source in sources_of(sender)]


def _deleted(sender, instance, **kwargs) -> None:
    for derived, reached in getattr(instance, "_derived_was", ()):
        _defer_or_refresh(derived, reached)
    instance._derived_was = []


class SourceQuerySet(models.QuerySet):
    """The queryset of a model that derived values are computed from: its bulk writes
    keep them exact as saves do."""

    def update(self, **kwargs) -> int:
        with batch():
            chunks = [
                self.model._base_manager.filter(pk__in=chunk)
                for chunk in _chunks(self.values_list("pk", flat=True))
            ]
            for rows in chunks:
                touched(self.model, rows, kwargs)  # where the rows were
            count = super().update(**kwargs)
            for rows in chunks:
                touched(self.model, rows, kwargs)  # where they are now
        return count

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs, *args, **kwargs):
        with batch():
            created = super().bulk_create(objs, *args, **kwargs)
            pks = [obj.pk for obj in created]
            if any(pk is None for pk in pks):
                for derived, _source in sources_of(self.model):
                    _defer_or_refresh(derived, None)  # rows not named back: all of them
            else:
                for chunk in _chunks(pks):
                    touched(self.model, self.model._base_manager.filter(pk__in=chunk), created=True)
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def delete(self):
        with batch():
            touched(self.model, self)
            token = _reached.set(self.model)
            try:
                return super().delete()
            finally:
                _reached.reset(token)

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


# -- hand-written SQL ---------------------------------------------------------------------

_COMPILER_FILE = compiler.__file__


@contextmanager
def refreshed_by_caller() -> Iterator[None]:
    """Writes inside the block refresh nothing, and hand-written SQL may write to the
    tables derived values come from: the caller refreshes what it wrote before its
    transaction ends (the bulk writer of imports, whose callers refresh every row they
    wrote at once; the data generator, which rebuilds everything after)."""
    token = _caller_refreshes.set(True)
    try:
        yield
    finally:
        _caller_refreshes.reset(token)


def _issued_by_django() -> bool:
    # The ORM's statements come from its SQL compiler; a flush (which empties derived
    # tables with their sources) from the backend's execute_sql_flush.
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename == _COMPILER_FILE or code.co_name == "execute_sql_flush":
            return True
        frame = frame.f_back
    return False


def guard(table: str) -> None:
    """For the execute wrapper: a write to ``table`` is about to run."""
    names = _GUARDED.get(table)
    if names and not _caller_refreshes.get() and not _issued_by_django():
        raise DerivedStateError(
            f"Hand-written SQL writing to {table} would leave {', '.join(names)} stale. "
            "Write through the ORM (the model's save(), or its queryset's update(), "
            "bulk_create() or delete()), which keeps them exact; or run the SQL inside "
            "iqf.lib.derived.refreshed_by_caller() and then call "
            + " and ".join(f"REGISTRY[{n!r}].refresh(ids)" for n in names)
            + "."
        )


# -- recomputing one stored column -------------------------------------------------------


@transaction.atomic
def refresh_column(
    model: type[models.Model], column: str, derived: BaseExpression, ids: Iterable[int] | None = None
) -> int:
    """Set ``column`` to ``derived`` on the rows of ``model`` with the given ids (None: on
    every row), writing only the rows where they differ; returns how many were written.

    With ids, the rows are locked first, in id order, so that refreshers of the same rows
    take turns: a refresh that writes nothing still holds its rows until it commits, and
    the one waiting then derives the column again from what the first one committed (on
    PostgreSQL each statement reads afresh). Without the lock, a session adding a key link
    (which finds the flag already set, so writes nothing) and one removing the other key
    link (which cannot see the new one yet, so clears the flag) would leave it cleared."""
    stale = model._base_manager.alias(derived=derived).exclude(**{column: F("derived")})
    if ids is None:
        return stale.update(**{column: derived})
    chunks = lock_rows(model, ids)
    return sum(stale.filter(pk__in=chunk).update(**{column: derived}) for chunk in chunks)


def check_column(
    model: type[models.Model], column: str, derived: BaseExpression, ids: Iterable[int] | None = None
) -> list[Stale]:
    """The rows (of the given ids, or all) whose ``column`` differs from ``derived``."""
    rows = model._base_manager.alias(derived=derived).exclude(**{column: F("derived")})
    chunks: list[list[int] | None] = [None] if ids is None else list(_chunks(ids))
    table = model._meta.db_table
    found = []
    for chunk in chunks:
        chosen = rows if chunk is None else rows.filter(pk__in=chunk)
        for pk, stored, recomputed in (
            chosen.annotate(recomputed=derived).order_by("pk").values_list("pk", column, "recomputed")
        ):
            found.append(Stale(table, f"id {pk}", column, stored, recomputed))
    return found


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def lock_rows(model: type[models.Model], ids: Iterable[int]) -> list[list[int]]:
    """Lock the rows of ``model`` with the given ids until the transaction ends, in id
    order (so that two lockers of overlapping rows cannot deadlock); returns the ids,
    sorted and in chunks of CHUNK for the statements that follow. Call it inside a
    transaction."""
    chunks = _chunks(ids)
    for chunk in chunks:
        list(
            model._base_manager.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return chunks


def stored_fields(instance: models.Model, derived: Iterable[str]) -> list[str]:
    """The fields a save of the existing row ``instance`` writes when it is to leave the
    ``derived`` columns alone: every loaded concrete field but the primary key and those.
    A row read before a refresh holds the derived values as they were; writing them back
    would undo the refresh, and only the refresh may change them."""
    skipped = set(derived) | instance.get_deferred_fields()
    return [
        f.name
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in skipped and f.attname not in skipped
    ]


# -- watching every statement ------------------------------------------------------------

#: While recording(): the tables written to, by any thread.
_written: set[str] | None = None


@contextmanager
def recording() -> Iterator[set[str]]:
    """The tables written to while the block runs (for the test suite's check)."""
    global _written
    seen: set[str] = set()
    _written = seen
    try:
        yield seen
    finally:
        _written = None


def watch(execute, sql, params, many, context):
    """The execute wrapper every connection carries: refuses hand-written SQL that writes
    to a source table (see :func:`guard`) and notes what is written while recording."""
    table = written_table(sql)
    if table is not None:
        guard(table)
        if _written is not None:
            _written.add(table)
    return execute(sql, params, many, context)


def watch_connection(sender, connection, **kwargs) -> None:
    """On ``connection_created``: make sure the connection carries :func:`watch`."""
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def stale_values(tables: Iterable[str] | None = None) -> list[Stale]:
    """Every stale value of the derived values stored in or derived from any of the
    tables (None: of all of them)."""
    chosen = None if tables is None else set(tables)
    found = []
    for derived in REGISTRY.values():
        stored_table = derived.stored_in.split(".")[0]
        if chosen is None or chosen & (derived.source_tables | {stored_table}):
            found.extend(derived.check(None))
    return found
