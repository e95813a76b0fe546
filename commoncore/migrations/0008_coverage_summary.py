"""The coverage summary: per qualification, framework and area, what the published
judgements of the qualification and its modules add up to. Filled from the judgements
already on record, so that an existing database is exact once migrated."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from commoncore.summary import rebuild_sql

    sql = rebuild_sql(
        summary=apps.get_model("commoncore", "QualificationCoverage"),
        attribute=apps.get_model("commoncore", "Attribute"),
        membership=apps.get_model("qualifications", "QualificationModule"),
        area=apps.get_model("commoncore", "Area"),
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('commoncore', '0007_bundle_import_permissions'),
        ('qualifications', '0002_regions_and_types'),
    ]

    operations = [
        migrations.CreateModel(
            name="QualificationCoverage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("whole_possible", models.BooleanField(default=False)),
                ("whole_guaranteed", models.BooleanField(default=False)),
                ("elements_possible", models.PositiveIntegerField(default=0)),
                ("elements_guaranteed", models.PositiveIntegerField(default=0)),
                ("area", models.ForeignKey(
                    db_constraint=False, db_index=False,
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="commoncore.area",
                )),
                ("framework", models.ForeignKey(
                    db_constraint=False, db_index=False,
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="commoncore.framework",
                )),
                ("qualification", models.ForeignKey(
                    db_index=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="coverage_summary", to="qualifications.qualification",
                )),
            ],
            options={
                "verbose_name": "coverage summary row",
                "default_permissions": ("view",),
                "indexes": [models.Index(fields=["framework", "area", "qualification"],
                                         name="coverage_framework_area")],
                "constraints": [
                    models.UniqueConstraint(fields=("qualification", "framework", "area"),
                                            name="coverage_unique_area"),
                    models.CheckConstraint(
                        condition=models.Q(("elements_guaranteed__gte", 0),
                                           ("elements_possible__gte", 0)),
                        name="coverage_counts_not_negative",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("elements_guaranteed__lte",
                                            models.F("elements_possible"))),
                        name="coverage_guaranteed_within_possible",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("whole_guaranteed", False), ("whole_possible", True),
                                           _connector="OR"),
                        name="coverage_whole_guaranteed_within_possible",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("whole_possible", True), ("elements_possible__gt", 0),
                                           _connector="OR"),
                        name="coverage_row_judges_something",
                    ),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
