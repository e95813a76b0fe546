"""What the fault checks read straight from the server: a checksum of every table, the
bundle an interrupted import brings (the site's own data under new references), and the
backends of the import's connection."""

import csv
from pathlib import Path

from psycopg2 import sql

from tooling.faults.postgres import Postgres

#: Columns that hold a qualification's or a module's reference, in any sheet.
REF_COLUMNS = {"ref", "qualification_ref", "module_ref", "required_qualification_ref", "required_module_ref"}


def checksums(pg: Postgres) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and the MD5 of its rows in order."""
    connection = pg.connect()
    found = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            for (table,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL(
                        "SELECT COUNT(*), COALESCE(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                        "FROM {} t"
                    ).format(sql.Identifier(table))
                )
                count, digest = cursor.fetchone()
                found[table] = (count, digest)
    finally:
        connection.close()
    return found


def renamed_bundle(source: Path, target: Path, prefix: str) -> int:
    """Copy an exported bundle with every qualification and module reference prefixed, so
    that importing it creates every qualification, module, membership, pre-requirement,
    link, offering, review and judgement again. Returns the number of data rows."""
    target.mkdir(parents=True, exist_ok=True)
    rows = 0
    for file in sorted(Path(source).glob("*.csv")):
        with open(file, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            body = list(reader)
        if header is None:
            continue
        positions = [i for i, name in enumerate(header) if name in REF_COLUMNS]
        for row in body:
            for i in positions:
                if row[i]:
                    row[i] = prefix + row[i]
        rows += len(body)
        with open(target / file.name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(body)
    return rows


def modules_alone(source: Path, target: Path) -> int:
    """The bundle's modules sheet for the admin's module import, which reads it alone: the
    qualifications that modules which are qualifications in their own right name are in
    another sheet, so that column is emptied. Returns the number of rows."""
    with open(source, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [{**row, "qualification_ref": ""} if "qualification_ref" in row else row for row in reader]
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
