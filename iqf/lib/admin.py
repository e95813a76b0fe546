"""Pieces every ModelAdmin of the IQF shares."""

import base64
import csv
import hashlib
import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import tablib
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.http import Http404, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from openpyxl import load_workbook
from simple_history.admin import SimpleHistoryAdmin

from iqf.lib import derived
from iqf.lib.safe_csv import neutralise
from iqf.lib.upload import UnreadableFile, check_workbook, csv_text, xlsx_cell


def _style_hash(style: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


#: The exact inline style attributes the libraries' history list and export form use
#: (simple-history: "border-top: 0"; django-import-export: "padding: 0;", "font-weight: bold;").
#: Those two screens alone allow these three values and nothing else; every other page of
#: the site allows no inline style at all.
LIBRARY_STYLES = {
    "style-src-attr": [
        "'unsafe-hashes'",
        *(_style_hash(style) for style in ("border-top: 0", "padding: 0;", "font-weight: bold;")),
    ]
}


def allow_library_styles(response):
    response._csp_update = LIBRARY_STYLES
    return response


def formula_safe(data: tablib.Dataset) -> tablib.Dataset:
    """The dataset with every cell neutralised, like every export (iqf.lib.safe_csv)."""
    safe = tablib.Dataset(headers=[neutralise(h) for h in data.headers or []])
    for row in data:
        safe.append([neutralise(value) for value in row])
    return safe


# -- the admin's import formats: the bundle's checks on an uploaded file ----------------


def _dataset(rows, first_row: int = 2) -> tablib.Dataset:
    """A dataset of a header and rows of text; blank rows are left out, a short row is
    padded, a row with more cells than the header is an UnreadableFile."""
    dataset = tablib.Dataset()
    header = next(rows, None)
    if header is None:
        return dataset
    headers = ["" if h is None else str(h).strip() for h in header]
    while headers and headers[-1] == "":
        headers.pop()
    if len(headers) == 1 and ";" in headers[0]:
        raise UnreadableFile(
            "the columns are separated by semicolons; save the file as CSV "
            "UTF-8, whose columns are separated by commas"
        )
    dataset.headers = headers
    for number, row in enumerate(rows, start=first_row):
        if not any(row) and all(c is None or c == "" for c in row):
            continue  # a blank row, skipped before any work (a file may hold a million)
        cells = ["" if c is None else str(c) for c in row]
        if not any(c.strip() for c in cells):
            continue
        if any(c.strip() for c in cells[len(headers) :]):
            raise UnreadableFile(
                f"row {number} has {len(cells)} cells but the header has {len(headers)} columns"
            )
        dataset.append((cells + [""] * len(headers))[: len(headers)])
    return dataset


class CheckedCSV(base_formats.CSV):
    """CSV as the bundle reads it: the bytes decoded as UTF-8 (anything else refused with
    a message), quoting checked strictly, ragged rows refused."""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream):
        reader = csv.reader(io.StringIO(csv_text(in_stream), newline=""), strict=True)

        def rows():  # one at a time: a million blank rows are never held at once
            try:
                yield from reader
            except csv.Error as error:
                raise UnreadableFile(
                    f"line {reader.line_num}: the file is not valid CSV "
                    f"({error}); check for a quote that is opened and never "
                    "closed"
                ) from None

        return _dataset(rows())


class CheckedXLSX(base_formats.XLSX):
    """A workbook checked from its zip directory before it is parsed (iqf.lib.upload), read
    from its only sheet with data; zero-padded codes are kept as shown."""

    def create_dataset(self, in_stream):
        check_workbook(io.BytesIO(in_stream))
        try:
            workbook = load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile(
                "the workbook cannot be read: it is damaged, or holds XML that a spreadsheet does not write"
            ) from None
        try:
            filled = [
                ws
                for ws in workbook.worksheets
                if any(v is not None for row in ws.iter_rows(values_only=True) for v in row)
            ]
            if len(filled) > 1:
                raise UnreadableFile(
                    f"the workbook has data on {len(filled)} sheets "
                    f"({', '.join(ws.title for ws in filled)}); an import reads one sheet: "
                    "keep only the sheet to import"
                )
            sheet = filled[0] if filled else workbook.worksheets[0]
            return _dataset([xlsx_cell(c) for c in row] for row in sheet.iter_rows())
        except UnreadableFile:
            raise
        except Exception:  # a sheet's XML is parsed, and may break, only now
            raise UnreadableFile(
                "the workbook cannot be read: it is damaged, or holds XML that a spreadsheet does not write"
            ) from None
        finally:
            workbook.close()


CHECKED_FORMATS = {base_formats.CSV: CheckedCSV, base_formats.XLSX: CheckedXLSX}
#: the name tempfile gives the upload the import's first step keeps for its second
_UPLOAD_NAME = re.compile(r"tmp[a-z0-9_]{8}")


def count_of(rows: QuerySet) -> Subquery:
    """How many rows a queryset correlated with ``OuterRef`` has, as a subquery: a
    changelist computes it for the rows of the page it shows, where a grouped ``Count``
    would join and group the whole table before paging."""
    return Subquery(
        rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"), output_field=IntegerField()
    )


STALE_FIELD = "iqf_loaded_at"


def _stamp(moment) -> str:
    return moment.isoformat() if moment is not None else ""


def guard_against_stale_edits(form_class: type[forms.ModelForm], obj, opened=None) -> type[forms.ModelForm]:
    """The change form with the record's last-saved time, as loaded, in a hidden field: a
    save is refused when the record has been saved since (another tab, another person),
    instead of overwriting that save. The check reads the row locked (the admin saves in a
    transaction), so two saves racing cannot both pass it. ``opened`` is that time when
    ``obj`` is not the record as saved (an old version shown to revert to)."""

    def clean(self):
        cleaned = form_class.clean(self)
        if not self.cleaned_data.get(STALE_FIELD):
            raise forms.ValidationError(
                "The form was sent without the time it was opened, so it "
                "cannot be checked against later changes: open it again.",
                code="unstamped",
            )
        model = type(self.instance)
        current = (
            model._default_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("updated_at", flat=True)
            .first()
        )
        if current is not None and self.cleaned_data.get(STALE_FIELD) != _stamp(current):
            who = ""
            history = getattr(self.instance, "history", None)
            latest = history.select_related("history_user").first() if history is not None else None
            if latest is not None and latest.history_user is not None:
                who = f" by {latest.history_user.get_username()}"
            when = timezone.localtime(current).strftime("%H:%M on %d %B %Y")
            raise forms.ValidationError(
                f"This {model._meta.verbose_name} was changed{who} at {when}, after you opened it. "
                f"Nothing you entered has been saved: open it again to see that change, then make yours.",
                code="stale",
            )
        return cleaned

    guarded = type(
        form_class.__name__,
        (form_class,),
        {
            STALE_FIELD: forms.CharField(
                widget=forms.HiddenInput,
                initial=_stamp(opened if opened is not None else obj.updated_at),
                required=False,
            ),
            "clean": clean,
        },
    )
    return guarded


def _refuse_malformed_key(model: type[models.Model], value: str) -> None:
    """Not found, as for a key that names no record, when ``value`` from the address
    cannot even be a key of ``model`` (history pages would otherwise fail on it)."""
    try:
        model._meta.pk.to_python(unquote(value))
    except ValidationError:
        raise Http404(f"No {model._meta.verbose_name} has the key “{value}”.") from None


class NoRegexLookups(admin.ModelAdmin):
    """For every model admin: no regular-expression lookups from the query string."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # A regular expression from the query string runs in the database (in Python, on
        # SQLite): one that backtracks can hold a worker for minutes. Refused: a 400.
        if lookup.rsplit("__", 1)[-1] in {"regex", "iregex"}:
            return False
        return super().lookup_allowed(lookup, value, request)


class IQFModelAdmin(NoRegexLookups, ImportExportMixin, SimpleHistoryAdmin):
    """History, import/export with the bundle's resources, facets on request, and no
    deletion: records are archived instead, so nothing is lost."""

    # Counts beside every filter value cost a grouped query per filter over the whole
    # table: on tables of hundreds of thousands of rows they are shown when asked for.
    show_facets = admin.ShowFacets.ALLOW
    list_per_page = 50
    object_history_form_template = "admin/object_history_form.html"
    # An address typed without a scheme is taken to be https.
    formfield_overrides = {models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        # A form and its inlines write many rows: what is derived from them is refreshed
        # once, in the form's transaction.
        with derived.batch():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_fields(self, request, obj=None):
        # the guard's hidden field is drawn once, at the top of the form (change_form.html)
        return [name for name in super().get_fields(request, obj) if name != STALE_FIELD]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if kwargs.get("fields"):
            kwargs["fields"] = [name for name in kwargs["fields"] if name != STALE_FIELD]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and hasattr(obj, "updated_at"):
            opened = None
            if getattr(request, "reverting", False):
                # An old version's page: its values are the old version's, its time the
                # record's as it is now, which a revert may overwrite.
                opened = (
                    type(obj)._default_manager.filter(pk=obj.pk).values_list("updated_at", flat=True).first()
                )
            form = guard_against_stale_edits(form, obj, opened)
        return form

    def history_view(self, request, object_id, extra_context=None):
        _refuse_malformed_key(self.model, object_id)
        return allow_library_styles(super().history_view(request, object_id, extra_context))

    def export_action(self, request):
        return allow_library_styles(super().export_action(request))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves what is posted to an old version's page (a revert) after
        # checking only the right to view; saving needs the right to change.
        _refuse_malformed_key(self.model, object_id)
        _refuse_malformed_key(
            getattr(self.model, self.model._meta.simple_history_manager_attribute).model, version_id
        )
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        request.reverting = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user, "change_reason": "Admin import"}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_import_formats(self):
        return [CHECKED_FORMATS.get(f, f) for f in super().get_import_formats()]

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnreadableFile):
            message = str(e)
        else:
            chosen = self.get_import_formats()[int(form.cleaned_data["format"])]()
            message = (
                f"the file cannot be read as {chosen.get_title()}: check that the format chosen is the file's"
            )
        form.add_error("import_file", message[0].upper() + message[1:] + ".")

    def process_import(self, request, **kwargs):
        # The confirmation names the upload the first step kept and the format; one sent
        # twice (its upload is gone), forged or replayed is refused before it is read.
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_confirm_form(request)
            if form.is_valid() and not self._confirmable(form.cleaned_data):
                return HttpResponseBadRequest(
                    "This import cannot be confirmed: it was confirmed already, or its upload "
                    "has expired. Upload the file again.",
                    content_type="text/plain",
                )
        return super().process_import(request, **kwargs)

    def _confirmable(self, data: dict) -> bool:
        choice, name = str(data.get("format", "")), data.get("import_file_name", "")
        if not (choice.isascii() and choice.isdigit() and int(choice) < len(self.get_import_formats())):
            return False
        return bool(_UPLOAD_NAME.fullmatch(name)) and (Path(tempfile.gettempdir()) / name).is_file()

    def get_import_data_kwargs(self, **kwargs):
        # A row that fails validation at the confirm step rolls the whole file back.
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    def get_data_for_export(self, request, queryset, **kwargs):
        return formula_safe(super().get_data_for_export(request, queryset, **kwargs))

    def get_export_queryset(self, request):
        # Export what the changelist shows, with the joins the resource needs.
        chosen = super().get_export_queryset(request)
        resource = self.get_export_resource_classes(request)[0]()
        if not hasattr(resource, "export_queryset"):
            return chosen  # a plain ModelResource, not a bundle sheet
        joined = resource.export_queryset()
        if isinstance(joined, QuerySet):
            return joined.filter(pk__in=chosen.values("pk"))
        return chosen


class JoinedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that shows the object its form already holds instead of querying
    for it: Django's own queries once per widget, so once per inline row."""

    known = None

    def optgroups(self, name, value, attr=None):
        known = self.known
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if known is None or chosen != [str(known.pk)]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(known)
        options.append(self.create_option(name, known.pk, label, True, len(options)))
        return [(None, options, 0)]


class JoinedInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, JoinedAutocompleteSelect):
                widget.known = self.instance._meta.get_field(name).get_cached_value(self.instance, None)


class JoinedTabularInline(admin.TabularInline):
    """An inline whose rows show their related objects in a fixed number of queries: its
    ``get_queryset`` joins the autocomplete relations and the parent (which each row's
    title names), and its autocomplete widgets use the joined objects."""

    form = JoinedInlineForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = JoinedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def archive_action(*, field: str, value, name: str, description: str, permission: str = "change") -> Callable:
    """An admin action that sets ``field`` to ``value`` record by record (so each change
    keeps its history) and reports how many changed."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset: QuerySet):
        changed = 0
        # The changelist's queryset counts related rows (GROUP BY), which PostgreSQL
        # refuses to lock: lock the chosen rows themselves.
        chosen = queryset.model._default_manager.filter(pk__in=queryset.values("pk"))
        with transaction.atomic():
            for obj in chosen.select_for_update():
                if getattr(obj, field) != value:
                    setattr(obj, field, value)
                    obj.save()
                    changed += 1
        unchanged = queryset.count() - changed
        modeladmin.message_user(
            request, f"{description}: {changed} changed, {unchanged} already so.", messages.SUCCESS
        )

    action.__name__ = name
    return action


def https_formfield(db_field: models.Field, **kwargs) -> forms.Field | None:
    """A form field for ``db_field``; web addresses typed without a scheme get https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class DuplicateCheckForm(forms.ModelForm):
    """Warns when the title matches existing records once presentation is ignored, and
    asks for confirmation before saving anyway."""

    confirm_duplicate = forms.BooleanField(
        required=False,
        widget=forms.HiddenInput,
        label="Save anyway: this is not a duplicate",
    )

    def find_duplicates(self, cleaned_data) -> QuerySet:
        raise NotImplementedError

    def clean(self):
        cleaned_data = super().clean()
        assert cleaned_data is not None  # a model form's clean gives its cleaned data
        if self.errors or cleaned_data.get("confirm_duplicate"):
            return cleaned_data
        duplicates = list(self.find_duplicates(cleaned_data)[:10])
        if duplicates:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            opts = self._meta.model._meta
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[d.pk]), d)
                    for d in duplicates
                ),
            )
            raise forms.ValidationError(
                format_html(
                    "This looks like a duplicate of {}. Check them; if this is a different "
                    "{}, tick “Save anyway” and save again.",
                    links,
                    opts.verbose_name,
                ),
                code="duplicate",
            )
        return cleaned_data
