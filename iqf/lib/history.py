"""History for writes that bypass ``Model.save()`` and ``Model.delete()``."""

from collections.abc import Sequence

from django.db import models
from django.utils import timezone


def record_history(objs: Sequence[models.Model], *, kind: str, user=None, reason: str = "") -> None:
    """Write one history row per object in one query. ``kind`` is simple-history's
    ``+`` (created), ``~`` (changed) or ``-`` (deleted)."""
    if not objs:
        return
    history = type(objs[0]).history.model
    now = timezone.now()
    history.objects.bulk_create([
        history(
            history_date=now, history_user=user, history_change_reason=reason, history_type=kind,
            **{field.attname: getattr(obj, field.attname) for field in history.tracked_fields},
        )
        for obj in objs
    ])


def delete_with_history(objs: Sequence[models.Model], *, user=None, reason: str = "") -> None:
    """Delete ``objs`` in one query, keeping a history row for each."""
    if not objs:
        return
    record_history(objs, kind="-", user=user, reason=reason)
    model = type(objs[0])
    # A raw delete: the history rows above stand in for the per-object signals.
    model.objects.filter(pk__in=[obj.pk for obj in objs])._raw_delete(model.objects.db)
