"""Bundle throughput: export and import in rows per second, against the database's own
bulk load of the same CSV files into plain tables (COPY on PostgreSQL, executemany on
SQLite) — the fastest the database takes those rows in at all."""

import csv
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from bundles.services import bundle_import
from bundles.writer import bundle_export


def export(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    counts = bundle_export(path=path)
    seconds = time.perf_counter() - started
    rows = sum(n for _, n in counts)
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def import_(path: Path) -> dict[str, float]:
    """Import the bundle into the current (empty, migrated) database. Bundles name users
    but do not carry them: the users its mapping reviews name are created first, untimed,
    as an operator would before importing."""
    reviews = Path(path) / "mapping_reviews.csv"
    if reviews.exists():
        with open(reviews, encoding="utf-8", newline="") as handle:
            names = {
                row[column]
                for row in csv.DictReader(handle)
                for column in ("mapped_by", "moderated_by")
                if row.get(column)
            }
        User = get_user_model()
        User.objects.bulk_create([User(username=name) for name in sorted(names)], ignore_conflicts=True)
    started = time.perf_counter()
    summaries = bundle_import(path=path)
    seconds = time.perf_counter() - started
    rows = sum(s.created + s.updated + s.unchanged for s in summaries)
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def _staging_name(sheet: str) -> str:
    return f"benchmark_load_{sheet}"


def bulk_load(path: Path) -> dict[str, float]:
    """Load every CSV file of the bundle into a table of text columns of its own, in one
    transaction, then drop the tables. Only the load itself is timed."""
    files = sorted(Path(path).glob("*.csv"))
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    rows = 0
    seconds = 0.0
    with connection.cursor() as cursor:
        for file in files:
            with open(file, encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            table = quote(_staging_name(file.stem))
            columns = ", ".join(f"{quote(f'c{i}')} text" for i in range(len(header)))
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} ({columns})")
        try:
            for file in files:
                table = quote(_staging_name(file.stem))
                with open(file, encoding="utf-8", newline="") as handle:
                    started = time.perf_counter()
                    with transaction.atomic():
                        if postgres:
                            cursor.copy_expert(
                                f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", handle
                            )
                            count = cursor.rowcount
                        else:
                            reader = csv.reader(handle)
                            width = len(next(reader))
                            marks = ", ".join(["%s"] * width)
                            batch = list(reader)
                            cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
                            count = len(batch)
                    seconds += time.perf_counter() - started
                rows += count
        finally:
            for file in files:
                cursor.execute(f"DROP TABLE IF EXISTS {quote(_staging_name(file.stem))}")
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds if seconds else 0.0}
