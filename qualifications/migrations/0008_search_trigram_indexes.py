"""Trigram indexes for the finder's and the admin's search, on PostgreSQL.

A search asks for qualifications whose title or reference, or a module's title, contains
a word anywhere (``UPPER(column) LIKE UPPER('%word%')``, Django's ``icontains``), which a
b-tree cannot answer. A GIN index of the upper-cased column's trigrams (``pg_trgm``, a
trusted extension the database's owner may create) finds the rows that can match without
reading the table. SQLite has no such index and reads the table, so nothing is done there;
the models do not declare the indexes for the same reason.
"""

from django.db import migrations

INDEXES = [
    ("qualification_title_trgm", "qualifications_qualification", "title"),
    ("qualification_ref_trgm", "qualifications_qualification", "ref"),
    ("module_title_trgm", "qualifications_module", "title"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("qualifications", "0007_key_for_a_role"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
