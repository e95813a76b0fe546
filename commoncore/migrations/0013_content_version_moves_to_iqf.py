"""The page-cache counter now belongs to the site (iqf 0001); its table is left where it
is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commoncore", "0012_bundle_import_moves_to_bundles"),
        ("iqf", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ContentVersion")],
            database_operations=[],
        ),
    ]
