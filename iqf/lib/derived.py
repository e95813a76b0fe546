"""Rewriting a column derived from other rows, only where it is out of step."""

from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Expression, F

#: How many ids one statement names.
CHUNK = 2_000


@transaction.atomic
def refresh_column(model: type[models.Model], column: str, derived: Expression,
                   ids: Iterable[int] | None = None) -> int:
    """Set ``column`` to ``derived`` on the rows of ``model`` with the given ids (None: on
    every row), writing only the rows where they differ; returns how many were written.

    With ids, the rows are locked first, in id order, so that refreshers of the same rows
    take turns: a refresh that writes nothing still holds its rows until it commits, and
    the one waiting then derives the column again from what the first one committed (on
    PostgreSQL each statement reads afresh). Without the lock, a session adding a key link
    (which finds the flag already set, so writes nothing) and one removing the other key
    link (which cannot see the new one yet, so clears the flag) would leave it cleared."""
    stale = model.objects.alias(derived=derived).exclude(**{column: F("derived")})
    if ids is None:
        return stale.update(**{column: derived})
    chunks = lock_rows(model, ids)
    return sum(stale.filter(pk__in=chunk).update(**{column: derived}) for chunk in chunks)


def lock_rows(model: type[models.Model], ids: Iterable[int]) -> list[list[int]]:
    """Lock the rows of ``model`` with the given ids until the transaction ends, in id
    order (so that two lockers of overlapping rows cannot deadlock); returns the ids,
    sorted and in chunks of CHUNK for the statements that follow. Call it inside a
    transaction."""
    ordered = sorted(set(ids))
    chunks = [ordered[start:start + CHUNK] for start in range(0, len(ordered), CHUNK)]
    for chunk in chunks:
        list(model.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
             .values_list("pk", flat=True))
    return chunks


def stored_fields(instance: models.Model, derived: Iterable[str]) -> list[str]:
    """The fields a save of the existing row ``instance`` writes when it is to leave the
    ``derived`` columns alone: every loaded concrete field but the primary key and those.
    A row read before a refresh holds the derived values as they were; writing them back
    would undo the refresh, and only the refresh may change them."""
    skipped = set(derived) | instance.get_deferred_fields()
    return [f.name for f in instance._meta.concrete_fields
            if not f.primary_key and f.name not in skipped and f.attname not in skipped]
