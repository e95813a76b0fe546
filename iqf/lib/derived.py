"""Rewriting a column derived from other rows, only where it is out of step."""

from collections.abc import Iterable

from django.db import models
from django.db.models import Expression, F

#: How many ids one statement names.
CHUNK = 2_000


def refresh_column(model: type[models.Model], column: str, derived: Expression,
                   ids: Iterable[int] | None = None) -> int:
    """Set ``column`` to ``derived`` on the rows of ``model`` with the given ids (None: on
    every row), writing only the rows where they differ; returns how many were written."""
    stale = model.objects.alias(derived=derived).exclude(**{column: F("derived")})
    if ids is None:
        return stale.update(**{column: derived})
    ids = sorted(set(ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += stale.filter(pk__in=ids[start:start + CHUNK]).update(**{column: derived})
    return changed
