"""Export the whole database as a bundle."""

from pathlib import Path

from django.core.management.base import BaseCommand

from bundles.writer import bundle_export


class Command(BaseCommand):
    help = "Export every sheet: PATH ending .xlsx gives a workbook, any other PATH a folder of CSVs."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        for sheet, rows in bundle_export(path=path):
            self.stdout.write(f"{sheet}: {rows} rows")
        self.stdout.write(f"Exported to {path}")
