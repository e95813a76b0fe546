"""Back up the whole database with its own tools (iqf.lib.backup)."""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from iqf.lib import backup


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the whole database: SQLite's online backup, or pg_dump's "
        "custom format. Default PATH: backups/iqf-<date-time>.sqlite3 or .dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, nargs="?")

    def handle(self, *args, path: Path | None, **options):
        if path is None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = Path(settings.BASE_DIR) / "backups" / f"iqf-{stamp}{backup.suffix()}"
        if path.exists():
            raise CommandError(f"{path} exists: a backup never overwrites a file.")
        try:
            backup.backup(path)
        except backup.BackupError as error:
            path.unlink(missing_ok=True)
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up to {path} ({path.stat().st_size:,} bytes)")
