"""The benchmark's own databases: one holding the generated data (kept for the next run
unless dropped) and one, empty, that the bundle is imported into. Never the database the
site or the tests use."""

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
from django.conf import settings
from psycopg2 import sql


@dataclass(frozen=True)
class BenchDatabase:
    url: str

    @property
    def config(self) -> dict:
        return dj_database_url.parse(self.url)

    @property
    def vendor(self) -> str:
        return "postgresql" if "postgresql" in self.config["ENGINE"] else "sqlite"

    @property
    def name(self) -> str:
        return str(self.config["NAME"])

    def _server(self):
        config = self.config
        connection = psycopg2.connect(
            dbname="postgres",
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            host=config["HOST"] or None,
            port=config["PORT"] or None,
        )
        connection.autocommit = True
        return connection

    def exists(self) -> bool:
        if self.vendor == "sqlite":
            return Path(self.name).exists()
        with self._server() as server, server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
            return cursor.fetchone() is not None

    def drop(self) -> None:
        if self.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(self.name + suffix).unlink(missing_ok=True)
            return
        server = self._server()
        try:
            with server.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
                )
        finally:
            server.close()

    def create(self) -> None:
        """A new, empty database (an existing one is dropped first)."""
        self.drop()
        if self.vendor == "sqlite":
            Path(self.name).parent.mkdir(parents=True, exist_ok=True)
            return
        server = self._server()
        try:
            with server.cursor() as cursor:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                        sql.Identifier(self.name)
                    )
                )
        finally:
            server.close()


def _tag(scale: float) -> str:
    return "k" + re.sub(r"[^0-9]+", "_", f"{scale:g}")


def bench_databases(database_url: str | None, scale: float) -> tuple[BenchDatabase, BenchDatabase]:
    """The data database and the import database for ``scale``: on the PostgreSQL server of
    ``database_url`` (named after its database), or SQLite files under ``.bench/``."""
    tag = _tag(scale)
    if not database_url or database_url.startswith("sqlite"):
        folder = Path(settings.BASE_DIR) / ".bench"
        if database_url:
            folder = Path(dj_database_url.parse(database_url)["NAME"]).parent
        return (
            BenchDatabase(f"sqlite:///{folder / f'iqf-bench-{tag}.sqlite3'}"),
            BenchDatabase(f"sqlite:///{folder / 'iqf-bench-import.sqlite3'}"),
        )
    parts = urlsplit(database_url)
    base = parts.path.lstrip("/") or "iqf"

    def named(name: str) -> BenchDatabase:
        return BenchDatabase(urlunsplit(parts._replace(path="/" + name)))

    return named(f"{base}_bench_{tag}"), named(f"{base}_bench_import")
