"""Whole-database backup and restore, with the database's own tools.

SQLite: the online backup API (a consistent copy while the site runs, restored the same
way in one step). PostgreSQL: ``pg_dump`` in its custom format, restored by
``pg_restore`` in a single transaction, so a failed restore leaves the database as it was.
A backup is checked before anything is restored from it.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

from iqf.lib import pagecache

SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}


class BackupError(Exception):
    """What went wrong, in words for the person running the command."""


def suffix() -> str:
    return SUFFIX[connection.vendor]


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, variable in [
        ("USER", "PGUSER"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("PASSWORD", "PGPASSWORD"),
    ]:
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).") from None
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def backup(path: Path) -> None:
    """Write a consistent copy of the whole database to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"])
    else:
        raise BackupError(f"No backup for {connection.vendor} databases.")


def check(path: Path) -> None:
    """Refuse a file that is not a sound backup for this kind of database."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if connection.vendor == "sqlite":
        if not head.startswith(SQLITE_HEADER):
            kind = "a PostgreSQL backup" if head.startswith(PG_HEADER) else "not a SQLite database"
            raise BackupError(f"{path} is {kind}: this site's database is SQLite.")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
            migrated = source.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'django_migrations'"
            ).fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is damaged: {error}.") from None
        finally:
            source.close()
        if verdict != "ok":
            raise BackupError(f"{path} is damaged: {verdict}.")
        if not migrated:
            raise BackupError(f"{path} is a SQLite database but not a backup of this site.")
    elif connection.vendor == "postgresql":
        if not head.startswith(PG_HEADER):
            kind = "a SQLite backup" if head.startswith(SQLITE_HEADER) else "not a pg_dump backup"
            raise BackupError(f"{path} is {kind}: this site's database is PostgreSQL.")
        _run(["pg_restore", "--list", str(path)])


def restore(path: Path) -> None:
    """Replace the whole database with the backup at ``path``: all of it or, on any
    failure, none of it. The page-cache counter then moves past every value it had
    before, so that no page cached before the restore is served after it."""
    check(path)
    before = pagecache.content_version()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        connection.close()  # pg_restore drops the tables this connection may hold locks on
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ]
        )
    pagecache.move_on(past=before)
    connection.close()
