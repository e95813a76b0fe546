"""Replace the whole database with a backup (iqf.lib.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from iqf.lib import backup


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by the backup command: all of it "
        "or, if anything fails, none of it. Asks first unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing.")

    def handle(self, *args, path: Path, yes: bool, **options):
        try:
            backup.check(path)
        except backup.BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from None
        if not yes:
            answer = input(f"Replace everything in the database with {path}? Type yes: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing restored.")
        try:
            backup.restore(path)
        except backup.BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from None
        self.stdout.write(f"Restored from {path}")
