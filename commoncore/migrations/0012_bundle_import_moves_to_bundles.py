"""The log of bundle imports now belongs to the bundles app (bundles 0001); its table is
left where it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commoncore", "0011_history_indexes"),
        ("bundles", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="BundleImport")],
            database_operations=[],
        ),
    ]
