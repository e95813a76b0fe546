"""The base of every bundle sheet: a django-import-export resource that validates each
row up front with messages a clerk can read, looks things up from caches filled once
per import, writes in bulk with history, and skips rows that change nothing.

The same resources serve the admin's import/export screens and the bundle commands.
"""

import functools
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from import_export import resources, widgets
from import_export.fields import Field
from import_export.results import Result, RowResult

from bundles import setbased
from bundles.bulk import create_with_history, update_with_history
from bundles.rows import (
    _REMEMBERED,
    Lookup,
    RowErrors,
    RowReader,
    TextWidget,
    norm,
    plain_text_limit,
)

#: A sheet writing at least this many rows has its table's statistics renewed at once.
ANALYZE_ABOVE = 1_000


def analyze(model: type[models.Model]) -> None:
    """Renew the planner's statistics of ``model``'s table, inside the import's transaction
    (PostgreSQL counts the transaction's own rows). The statements that follow in the same
    transaction (the refreshes of derived columns and of the coverage summary) are planned
    from those statistics; without this they are planned from the table as it was before
    the import, and a table last analysed empty (a new database, or one an import was
    rolled back from) gets a join re-read in full for each of its rows: at K=10 an import
    that takes 17 s took over 6 minutes that way. SQLite's planner does without."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class SpreadsheetResult(Result):
    """django-import-export's result of an admin import, numbering rows as the file does
    (the header is row 1), as every message of an import names them."""

    def __init__(self, spreadsheet_row: Callable[[int], int], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spreadsheet_row = spreadsheet_row

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(self.spreadsheet_row(number), row, validation_error)

    def append_error_row(self, number, row, errors):
        super().append_error_row(self.spreadsheet_row(number), row, errors)

    def row_errors(self):
        return [
            (self.spreadsheet_row(number), row.errors)
            for number, row in enumerate(self.rows, start=1)
            if row.errors
        ]


class BundleResource(resources.ModelResource):
    """One sheet of a bundle. Subclasses set ``sheet``, ``key_columns`` and implement
    ``row_key``, ``instance_key``, ``read_row`` and ``export_queryset``."""

    sheet: ClassVar[str]
    key_columns: ClassVar[tuple[str, ...]]
    extra_columns: ClassVar[tuple[str, ...]] = ()
    #: which model fields a re-import may change (default: every concrete field but audit ones)
    audit_fields: ClassVar[tuple[str, ...]] = ("id", "created_at")
    #: Fields the product keeps in step with other rows: an import never writes them back.
    derived_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        skip_html_diff = True
        clean_model_instances = False

    def __init__(
        self,
        *,
        user=None,
        change_reason: str = "Bundle import",
        lookups: dict[type[models.Model], Lookup] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        #: lookups the sheets of one import share (see ``shared_lookup``)
        self.lookups = {} if lookups is None else lookups
        self.history_user = user
        self.change_reason = change_reason
        self.existing: dict[tuple, models.Model] = {}
        self.seen: dict[tuple, int] = {}
        self._snapshot: tuple | None = None
        self._attnames: list[str] | None = None
        self._to_clean: list[tuple[models.Field, float | None]] | None = None
        self._clean_values: set[tuple[str, Any]] = set()
        #: the spreadsheet row of a data row; the header is row 1 unless told otherwise
        self.spreadsheet_rows: list[int] | None = None

    def shared_lookup(self, model: type[models.Model], factory: Callable[[], Lookup]) -> Lookup:
        """The lookup of ``model``'s rows that ``factory`` makes, made once for all the
        sheets of an import that share ``lookups``; the import forgets it once a sheet
        writes rows of ``model``."""
        lookup = self.lookups.get(model)
        if lookup is None:
            lookup = self.lookups[model] = factory()
        return lookup

    # -- the sheet's columns -------------------------------------------------
    @classmethod
    def columns(cls) -> list[str]:
        return [f.column_name for f in cls.fields.values()]

    def spreadsheet_row(self, number: int) -> int:
        rows = self.spreadsheet_rows
        if rows is not None and 0 < number <= len(rows):
            return rows[number - 1]
        return number + 1

    # -- hooks for subclasses ------------------------------------------------
    def row_key(self, row: dict[str, Any]) -> tuple:
        return tuple([norm(row.get(column)) for column in self.key_columns])

    def instance_key(self, instance) -> tuple:
        raise NotImplementedError

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        raise NotImplementedError

    def export_queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def existing_queryset(self) -> models.QuerySet:
        return self.export_queryset()

    # -- the set-based path (bundles.setbased) -----------------------------------
    def export_column(self, field: Field) -> tuple[str, Callable[[Any], str]]:
        """The database path a column reads and how its value is written: the field's
        attribute and widget, unless a subclass says otherwise (for ``dehydrate_`` columns)."""
        return field.attribute, lambda value: field.widget.render(value)

    def export_rows(self) -> tuple[list[str], Iterable[list[str]]]:
        """The sheet's header and its rows, as a bundle export writes them."""
        return setbased.export_rows(self)

    def import_rows(self, headers: list[str], rows: list[list[str]]) -> tuple[int, int, int]:
        """Import a sheet's data rows, as a bundle import does (created, updated,
        unchanged); raises RowsInvalid with every bad row before anything is written."""
        return setbased.import_rows(self, headers, rows)

    def after_import(self, dataset, result, **kwargs):
        if not (result.has_errors() or result.has_validation_errors()):
            self.written(
                dataset,
                result.totals[RowResult.IMPORT_TYPE_NEW] + result.totals[RowResult.IMPORT_TYPE_UPDATE],
            )

    def written(self, data, rows: int) -> None:
        """Once a sheet's ``rows`` are written (by either import): renew the table's
        statistics if they are many, then finish what needs every row in place."""
        if rows >= ANALYZE_ABOVE:
            analyze(self._meta.model)
        self.after_write(data)

    def after_write(self, data) -> None:
        """Called once a sheet's rows are written (by either import), to finish what
        needs every row in place."""

    # -- import-export plumbing ----------------------------------------------
    def get_result_class(self):
        return functools.partial(SpreadsheetResult, self.spreadsheet_row)

    def get_queryset(self):
        return self.export_queryset()

    def get_import_id_fields(self):
        return [name for name, f in self.fields.items() if f.column_name in self.key_columns]

    def before_import(self, dataset, **kwargs):
        self.existing = {self.instance_key(obj): obj for obj in self.existing_queryset()}
        self.seen = {}

    def get_instance(self, instance_loader, row):
        return self.existing.get(self.row_key(row))

    def after_init_instance(self, instance, new, row, **kwargs):
        self._snapshot = None if new else self.snapshot(instance)

    def snapshot(self, instance) -> tuple:
        state = instance.__dict__
        return tuple(state[name] for name in self._snapshot_attnames())

    def _snapshot_attnames(self) -> list[str]:
        if self._attnames is None:
            self._attnames = [f.attname for f in self.updatable_fields()]
        return self._attnames

    def updatable_fields(self) -> list[models.Field]:
        return [
            f
            for f in self._meta.model._meta.concrete_fields
            if f.name not in self.audit_fields
            and f.name not in self.derived_fields
            and f.name != "updated_at"
        ]

    def import_instance(self, instance, row, **kwargs):
        self.validate_row(instance, row, kwargs.get("row_number", 0))

    def validate_row(self, instance, row: dict[str, Any], number: int, *, key: tuple | None = None) -> None:
        """Read ``row`` (data row ``number``, counting from 1) into ``instance``, or raise a
        ValidationError mapping column names to messages. Both the admin's import and the
        bundle's come through here. ``key`` is the row's ``row_key`` when the caller
        has it already."""
        if key is None:
            key = self.row_key(row)
        reader = RowReader(row)
        if key in self.seen:
            reader.fail(
                self.key_columns[0],
                f"repeats row {self.spreadsheet_row(self.seen[key])} "
                f"(the same {' + '.join(self.key_columns)})",
            )
        else:
            self.seen[key] = number
        self.read_row(instance, reader, new=instance.pk is None)
        try:
            reader.done()
        except RowErrors as error:
            raise ValidationError(error.errors) from None
        self.clean_model_fields(instance)

    def clean_model_fields(self, instance) -> None:
        """``Model.clean_fields()`` (its loop, over the fields not excluded), remembering
        the values found good: an import repeats the same flags, levels, orders and names
        row after row, and each field's checks do not depend on the rest of the row. A
        plain text field's checks are its length alone, made here without the call."""
        if self._to_clean is None:
            excluded = set(self.clean_fields_exclude())
            self._to_clean = [
                (f, plain_text_limit(f))
                for f in instance._meta.fields
                if f.name not in excluded and not f.generated
            ]
        good = self._clean_values
        errors = {}
        state = instance.__dict__
        for field, limit in self._to_clean:
            value = state[field.attname]
            kind = type(value)
            if kind is str and limit is not None and len(value) <= limit and (value or field.blank):
                continue
            remembered = kind in _REMEMBERED and (kind is not str or len(value) <= 32)
            if remembered and (field.attname, value) in good:
                continue
            if field.blank and value in field.empty_values or isinstance(value, DatabaseDefault):
                continue
            try:
                cleaned = field.clean(value, instance)
            except ValidationError as error:
                errors[field.name] = error.error_list
                continue
            state[field.attname] = cleaned
            if remembered and cleaned == value and type(cleaned) is kind:
                good.add((field.attname, value))
        if errors:
            raise ValidationError(self.to_columns(ValidationError(errors).message_dict))

    def clean_fields_exclude(self) -> list[str]:
        return [
            f.name
            for f in self._meta.model._meta.concrete_fields
            if f.is_relation or f.name in {"title_key", "id"}
        ]

    def to_columns(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        by_attribute = {f.attribute: f.column_name for f in self.fields.values()}
        return {by_attribute.get(name, name): messages for name, messages in errors.items()}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return self._snapshot is not None and self.snapshot(instance) == self._snapshot

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is not None and hasattr(instance, "updated_at"):
            instance.updated_at = timezone.now()

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances:
            try:
                create_with_history(self.create_instances, user=self.history_user, reason=self.change_reason)
            except Exception as error:  # reported for the whole sheet; the import rolls back
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances:
            try:
                update_with_history(
                    self.update_instances,
                    self.fields_to_update(),
                    user=self.history_user,
                    reason=self.change_reason,
                )
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.update_instances.clear()

    def fields_to_update(self) -> list[str]:
        model = self._meta.model
        stamped = ["updated_at"] if hasattr(model, "updated_at") else []
        return [f.name for f in self.updatable_fields()] + stamped

    def bulk_delete(self, using_transactions, dry_run, raise_errors, result=None):
        # Imports never delete.
        self.delete_instances.clear()

    def for_delete(self, row, instance):
        return False


def column(name: str, attribute: str | None = None, widget: widgets.Widget | None = None) -> Field:
    return Field(attribute=attribute or name, column_name=name, widget=widget or TextWidget())
