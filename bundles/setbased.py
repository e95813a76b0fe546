"""The set-based path of a bundle sheet: its rows read, checked and written in a few
statements whatever their number, without django-import-export's per-row machinery
(a bundle import), and read back out as plain values in chunks (a bundle export). The
checks are the resource's own (``BundleResource.validate_row``), the same the admin's
row-by-row import runs; the writes are the bulk writer's (``bundles.bulk``)."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from bundles.bulk import create_with_history, update_with_history
from bundles.rows import RowsInvalid, SheetColumns

if TYPE_CHECKING:
    from bundles.resources import BundleResource


def export_rows(sheet: "BundleResource") -> tuple[list[str], Iterable[list[str]]]:
    """The sheet's header and its rows, read as plain values straight from the database
    in chunks — the cells ``export()`` gives, without building a model instance per row."""
    fields = sheet.get_export_fields()
    columns = [sheet.export_column(f) for f in fields]
    paths = [path for path, _ in columns]
    renders = [render for _, render in columns]

    def rows():
        chosen = sheet.export_queryset()
        if not isinstance(chosen, models.QuerySet):  # rows chosen in Python: instances
            for instance in chosen:
                yield [str(value) for value in sheet.export_resource(instance)]
            return
        for values in chosen.values_list(*paths).iterator(chunk_size=5000):
            yield [render(value) for render, value in zip(renders, values, strict=True)]

    return [f.column_name for f in fields], rows()


def import_rows(sheet: "BundleResource", headers: list[str], rows: list[list[str]]) -> tuple[int, int, int]:
    """Import a sheet's data rows (cells in the order of ``headers``) without
    django-import-export's per-row machinery: every row is read and checked by
    :meth:`validate_row` against lookups loaded once, then the new rows are inserted
    and the changed ones updated in a few statements, each with its history row.
    Returns how many rows were created, updated and left unchanged; raises
    :class:`RowsInvalid` with every bad row, before anything of the sheet is written."""
    data = SheetColumns(headers, rows)
    sheet.before_import(data)
    new = instance_factory(sheet._meta.model)
    created: list[models.Model] = []
    updated: list[models.Model] = []
    unchanged = 0
    invalid: list[tuple[int, dict[str, list[str]]]] = []
    for number, cells in enumerate(rows, start=1):
        row = dict(zip(headers, cells, strict=True))
        try:
            key = sheet.row_key(row)
            instance = sheet.existing.get(key)
            before = None if instance is None else sheet.snapshot(instance)
            if instance is None:
                instance = new()
            sheet.validate_row(instance, row, number, key=key)
        except ValidationError as error:
            invalid.append((number, error.message_dict))
            continue
        except ValueError as error:  # a cell no column reading could take
            invalid.append((number, {NON_FIELD_ERRORS: [str(error)]}))
            continue
        if before is not None and sheet.snapshot(instance) == before:
            unchanged += 1
            continue
        sheet.before_save_instance(instance, row)
        (updated if before is not None else created).append(instance)
    if invalid:
        raise RowsInvalid(invalid)
    create_with_history(created, user=sheet.history_user, reason=sheet.change_reason)
    update_with_history(
        updated, sheet.fields_to_update(), user=sheet.history_user, reason=sheet.change_reason
    )
    sheet.written(data, len(created) + len(updated))
    return len(created), len(updated), unchanged


def instance_factory(model: type[models.Model]) -> Callable[[], models.Model]:
    """What makes a new row's instance: one holding every field's default, built
    without ``Model.__init__`` (a good part of a bundle row's cost), unless a default
    is computed afresh for each instance."""
    fields = model._meta.concrete_fields
    if any(f.has_default() and callable(f.default) for f in fields):
        return model
    defaults = {f.attname: f.get_default() for f in fields}

    def new() -> models.Model:
        # what Model.__init__ leaves when given every field's default, without its
        # per-field descriptor calls and signals (an unsaved instance has no cache
        # for a descriptor to clear, and these models have no init receivers)
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(defaults)
        return instance

    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return lambda: model(*defaults.values())
    return new
