"""The log of bundle imports moves here from commoncore: its table stays as it is, and
its content type, with the permissions and groups that name it, follows it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # one made for the new place before this ran (none, as migrate makes them after)
    ContentType.objects.filter(app_label="bundles", model="bundleimport").delete()
    ContentType.objects.filter(app_label="commoncore", model="bundleimport").update(
        app_label="bundles")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="bundles", model="bundleimport").update(
        app_label="commoncore")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("commoncore", "0011_history_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BundleImport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="The bundle's file or folder name.",
                                                  max_length=255)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("created", models.PositiveIntegerField(default=0)),
                        ("updated", models.PositiveIntegerField(default=0)),
                        ("demonstration", models.BooleanField(
                            default=False,
                            help_text="The bundle is the illustrative demonstration data set.")),
                        ("imported_by", models.ForeignKey(
                            blank=True, help_text="Empty for a system import.", null=True,
                            on_delete=django.db.models.deletion.PROTECT, related_name="+",
                            to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "commoncore_bundleimport",
                        "ordering": ["-at"],
                        "default_permissions": ("view",),
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
