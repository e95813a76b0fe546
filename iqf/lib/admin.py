"""Pieces every ModelAdmin of the IQF shares."""

from collections.abc import Callable

import tablib
from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from iqf.lib.safe_csv import neutralise


def formula_safe(data: tablib.Dataset) -> tablib.Dataset:
    """The dataset with every cell neutralised, like every export (iqf.lib.safe_csv)."""
    safe = tablib.Dataset(headers=[neutralise(h) for h in data.headers or []])
    for row in data:
        safe.append([neutralise(value) for value in row])
    return safe


class IQFModelAdmin(ImportExportMixin, SimpleHistoryAdmin):
    """History, import/export with the bundle's resources, facets, and no deletion:
    records are archived instead, so nothing is lost."""

    show_facets = admin.ShowFacets.ALWAYS
    list_per_page = 50
    # An address typed without a scheme is taken to be https.
    formfield_overrides = {models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user, "change_reason": "Admin import"}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

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
        joined = self.get_export_resource_classes(request)[0]().export_queryset()
        if isinstance(joined, QuerySet):
            return joined.filter(pk__in=chosen.values("pk"))
        return chosen


def archive_action(
    *, field: str, value, name: str, description: str, permission: str = "change"
) -> Callable:
    """An admin action that sets ``field`` to ``value`` record by record (so each change
    keeps its history) and reports how many changed."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset: QuerySet):
        changed = 0
        with transaction.atomic():
            for obj in queryset.select_for_update():
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
        required=False, widget=forms.HiddenInput,
        label="Save anyway: this is not a duplicate",
    )

    def find_duplicates(self, cleaned_data) -> QuerySet:
        raise NotImplementedError

    def clean(self):
        cleaned_data = super().clean()
        if self.errors or cleaned_data.get("confirm_duplicate"):
            return cleaned_data
        duplicates = list(self.find_duplicates(cleaned_data)[:10])
        if duplicates:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            opts = self._meta.model._meta
            links = format_html_join(
                ", ", '<a href="{}">{}</a>',
                (
                    (reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[d.pk]), d)
                    for d in duplicates
                ),
            )
            raise forms.ValidationError(
                format_html(
                    "This looks like a duplicate of {}. Check them; if this is a different "
                    "{}, tick “Save anyway” and save again.", links, opts.verbose_name
                ),
                code="duplicate",
            )
        return cleaned_data
