"""The set-based writer of imports (bundles/bulk.py): rows and history as simple-history
writes them, and values that need escaping or NULL kept apart from text."""

import pytest
from django.utils import timezone

from bundles import bulk
from qualifications.models import QualificationType
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

TRICKY = ["tab\there", "line\nbreak\r\nand return", "back\\slash \\N", '"quoted", comma', ""]


def test_create_with_history_stores_the_rows_and_one_history_row_each():
    author = UserFactory()
    types = [QualificationType(name=name or "blank") for name in TRICKY]

    bulk.create_with_history(types, user=author, reason="Bundle import from b")

    assert all(t.pk is not None and not t._state.adding for t in types)
    ours = [t.pk for t in types]
    stored = dict(QualificationType.objects.filter(pk__in=ours).values_list("pk", "name"))
    assert stored == {t.pk: t.name for t in types}
    history = QualificationType.history.filter(id__in=ours).order_by("id")
    assert [(h.id, h.name, h.history_type, h.history_user_id, h.history_change_reason) for h in history] == [
        (t.pk, t.name, "+", author.pk, "Bundle import from b") for t in types
    ]
    assert all(h.created_at == h.history_date for h in history)


def test_update_with_history_writes_the_named_fields_and_a_change_row_each():
    types = [QualificationType(name=f"Type {i}") for i in range(3)]
    bulk.create_with_history(types)
    for t, name in zip(types, TRICKY, strict=False):
        t.name = name or "blank"

    bulk.update_with_history(types, ["name"], reason="Admin import")

    ours = [t.pk for t in types]
    assert sorted(QualificationType.objects.filter(pk__in=ours).values_list("name", flat=True)) == sorted(
        t.name for t in types
    )
    changes = QualificationType.history.filter(history_type="~", id__in=ours).order_by("id")
    assert [(c.id, c.name, c.history_change_reason) for c in changes] == [
        (t.pk, t.name, "Admin import") for t in types
    ]


def test_a_nullable_text_column_keeps_null_apart_from_empty_text():
    # history_change_reason is nullable text: written without the writer vouching for
    # it, NULL must stay NULL and an empty text empty (COPY's text format on PostgreSQL)
    history = QualificationType.history.model
    fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    now = timezone.now()
    values = {
        "id": 1,
        "name": "x",
        "description": "",
        "created_at": now,
        "updated_at": now,
        "history_date": now,
        "history_user_id": None,
        "history_type": "+",
    }
    reasons = [None, "", *TRICKY]
    rows = [
        tuple(reason if f.attname == "history_change_reason" else values[f.attname] for f in fields)
        for reason in reasons
    ]
    rows = [tuple(bulk._prepare(f)(v) for f, v in zip(fields, row, strict=True)) for row in rows]

    bulk._write(history, fields, rows)

    assert (
        list(
            history.objects.filter(name="x")
            .order_by("history_id")
            .values_list("history_change_reason", flat=True)
        )
        == reasons
    )


def test_create_with_history_writes_no_history_when_history_is_off(settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    types = [QualificationType(name=name or "blank") for name in TRICKY]

    bulk.create_with_history(types, reason="Bundle import from b")

    ours = [t.pk for t in types]
    assert sorted(QualificationType.objects.filter(pk__in=ours).values_list("name", flat=True)) == sorted(
        t.name for t in types
    )
    assert not QualificationType.history.filter(id__in=ours).exists()


def test_history_rows_copy_every_tracked_value_of_the_rows_created():
    # the history rows are copied from the table in the database: each must hold the
    # values its row was written with, not another row's
    author = UserFactory()
    types = [QualificationType(name=f"Type {i}", description=text) for i, text in enumerate(TRICKY)]

    bulk.create_with_history(types, user=author, reason="r")

    history = QualificationType.history.filter(id__in=[t.pk for t in types])
    assert sorted((h.id, h.name, h.description, h.created_at, h.updated_at) for h in history) == sorted(
        (t.pk, t.name, t.description, t.created_at, t.updated_at) for t in types
    )
