"""The page-cache counter moves here from commoncore: its table and its one row stay as
they are, and its content type follows it."""

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="iqf", model="contentversion").delete()
    ContentType.objects.filter(app_label="commoncore", model="contentversion").update(
        app_label="iqf")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="iqf", model="contentversion").update(
        app_label="commoncore")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("commoncore", "0012_bundle_import_moves_to_bundles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ContentVersion",
                    fields=[
                        ("id", models.PositiveSmallIntegerField(default=1, primary_key=True,
                                                                serialize=False)),
                        ("version", models.BigIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "commoncore_contentversion",
                        "default_permissions": (),
                        "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)),
                                                               name="contentversion_one_row")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
