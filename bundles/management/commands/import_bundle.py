"""Import a bundle (a folder of CSV files or an .xlsx workbook), all or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from bundles.services import bundle_import
from bundles.sheets import BundleError


class Command(BaseCommand):
    help = "Import a bundle of CSV files or an XLSX workbook. Nothing is written on any error."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate everything and report the changes; write nothing.",
        )
        parser.add_argument("--user", help="Username recorded in history as the import's author.")

    def handle(self, *args, path: Path, dry_run: bool, user: str | None, **options):
        author = None
        if user:
            try:
                author = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user!r} exists.") from None
        try:
            summaries = bundle_import(path=path, user=author, dry_run=dry_run)
        except BundleError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError("Import refused: nothing was written.") from None
        verb = "would be" if dry_run else "were"
        for summary in summaries:
            self.stdout.write(
                f"{summary.sheet}: {summary.created} {verb} created, {summary.updated} {verb} "
                f"updated, {summary.unchanged} unchanged"
            )
        self.stdout.write("Dry run: nothing was written." if dry_run else "Import complete.")
