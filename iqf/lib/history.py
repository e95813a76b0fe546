"""The history every model keeps, and history for writes that bypass ``Model.save()`` and
``Model.delete()``."""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from iqf.lib import derived


class History(HistoricalRecords):
    """simple-history's table of every version of a row, indexed only as it is read: by the
    row's id (its versions), by date and by user, and by its own key. The row's other indexes
    (its references, unique fields, levels and statuses) are not copied: nothing looks
    versions up by them, and at a bulk import each would cost one more index entry a row."""

    def copy_fields(self, model):
        self.no_db_index = [field.name for field in model._meta.fields if not field.primary_key]
        return super().copy_fields(model)


def record_history(objs: Sequence[models.Model], *, kind: str, user=None, reason: str = "") -> None:
    """Write one history row per object in one query. ``kind`` is simple-history's
    ``+`` (created), ``~`` (changed) or ``-`` (deleted)."""
    if not objs:
        return
    tracked: Any = type(objs[0])  # a model with history (iqf.lib.history.History)
    history = tracked.history.model
    now = timezone.now()
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_user=user,
                history_change_reason=reason,
                history_type=kind,
                **{field.attname: getattr(obj, field.attname) for field in history.tracked_fields},
            )
            for obj in objs
        ]
    )


def delete_with_history(objs: Sequence[models.Model], *, user=None, reason: str = "") -> None:
    """Delete ``objs`` in one query, keeping a history row for each; what is derived from
    them is refreshed as for any delete (``iqf.lib.derived``)."""
    if not objs:
        return
    record_history(objs, kind="-", user=user, reason=reason)
    model: Any = type(objs[0])
    rows = model._base_manager.filter(pk__in=[obj.pk for obj in objs])
    with derived.batch():
        derived.touched(model, rows)  # what the rows reach, read before they go
        # A raw delete: the history rows above stand in for the per-object signals.
        rows._raw_delete(model.objects.db)


def stamp(instance: models.Model, *, user, reason: str) -> None:
    """Who made the instance's next save, and why, for the history row simple-history
    writes on it."""
    tracked: Any = instance
    tracked._history_user, tracked._change_reason = user, reason
