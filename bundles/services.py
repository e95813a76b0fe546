"""Importing a bundle: every sheet read, then imported in dependency order inside one
transaction, everything rolled back on the first bad row. Each sheet's rows are checked
by the same ``validate_row`` as the admin's imports, then written set-based with their
history (``BundleResource.import_rows``)."""

from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction

from bundles.models import BundleImport
from bundles.reader import read_bundle
from bundles.resources import BundleResource
from bundles.rows import RowsInvalid, cell_text
from bundles.sheets import SHEETS, BundleError, Sheet
from bundles.sheets.commoncore import AttributeResource
from bundles.sheets.qualifications import QualificationModuleResource, module_lookup, qualification_lookup
from commoncore import summary
from qualifications.models import Module, Qualification


@dataclass(frozen=True)
class SheetSummary:
    sheet: str
    created: int
    updated: int
    unchanged: int


def _messages(sheet: Sheet, resource: BundleResource, invalid: RowsInvalid) -> list[str]:
    columns = set(resource.columns())
    messages = []
    for number, errors in invalid.rows:
        for field, texts in errors.items():
            where = f", column {field}" if field in columns else ""
            for text in texts:
                messages.append(f"sheet {sheet.name}: row {resource.spreadsheet_row(number)}{where}: {text}")
    return messages


def bundle_import(
    *, path: Path, user=None, dry_run: bool = False, demonstration: bool = False
) -> list[SheetSummary]:
    """Import a bundle, all or nothing. Raises BundleError naming every bad row of the
    first sheet that has one; with ``dry_run`` nothing is written either way. An import
    that writes something is logged; ``demonstration`` marks the illustrative data set."""
    sheets = read_bundle(path)
    reason = f"Bundle import from {Path(path).name}" + ("" if user else " (system)")
    summaries = []
    lookups: dict = {}  # shared by the sheets; see BundleResource.shared_lookup
    with transaction.atomic():
        for resource_class in SHEETS:
            sheet = sheets.get(resource_class.sheet)
            if sheet is None or not sheet.headers:
                continue
            missing = [c for c in resource_class.key_columns if c not in sheet.headers]
            if missing:
                raise BundleError([f"sheet {sheet.name}: row 1: missing column {', '.join(missing)}"])
            resource = resource_class(user=user, change_reason=reason, lookups=lookups)
            resource.spreadsheet_rows = sheet.row_numbers
            try:
                created, updated, unchanged = resource.import_rows(sheet.headers, sheet.rows)
            except RowsInvalid as invalid:
                raise BundleError(_messages(sheet, resource, invalid)) from None
            except (ValueError, DatabaseError) as error:  # a rule over the whole sheet
                raise BundleError([f"sheet {sheet.name}: {error}"]) from None
            lookups.pop(resource_class._meta.model, None)  # its rows have changed
            summaries.append(SheetSummary(sheet.name, created, updated, unchanged))
        if dry_run:
            transaction.set_rollback(True)
        else:
            summary.refresh(_touched_qualifications(sheets, lookups))
            _log_import(path, user, summaries, demonstration)
    return summaries


def _touched_qualifications(sheets: dict[str, Sheet], lookups: dict) -> set[int] | None:
    """The qualifications whose coverage the imported memberships and judgements may
    change: those named by a qualification_modules or attributes row, and those that
    contain a module an attributes row names. None (all of them) when the rows name so
    many that rebuilding the whole summary costs less than finding them."""
    qualification_refs: set[str] = set()
    module_refs: set[str] = set()
    for name, refs, column in [
        (QualificationModuleResource.sheet, qualification_refs, "qualification_ref"),
        (AttributeResource.sheet, qualification_refs, "qualification_ref"),
        (AttributeResource.sheet, module_refs, "module_ref"),
    ]:
        sheet = sheets.get(name)
        if sheet is not None and column in sheet.headers:
            position = sheet.headers.index(column)
            refs.update(cell_text(row[position]) for row in sheet.rows)
    if len(qualification_refs) + len(module_refs) > summary.FULL_REFRESH_ABOVE:
        return None
    qualifications = lookups.get(Qualification) or qualification_lookup()
    modules = lookups.get(Module) or module_lookup()
    found = {qualifications.get(ref) for ref in qualification_refs if ref}
    ids = {q.pk for q in found if q is not None}
    module_ids = {m.pk for m in (modules.get(ref) for ref in module_refs if ref) if m is not None}
    return ids | summary.affected_by_modules(module_ids)


def _log_import(path: Path, user, summaries: list[SheetSummary], demonstration: bool) -> None:
    created = sum(s.created for s in summaries)
    updated = sum(s.updated for s in summaries)
    if created or updated:
        BundleImport.objects.create(
            name=Path(path).name,
            imported_by=user,
            created=created,
            updated=updated,
            demonstration=demonstration,
        )
