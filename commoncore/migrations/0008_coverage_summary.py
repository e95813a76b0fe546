"""The coverage summary: per qualification, framework and area, what the published
judgements of the qualification and its modules add up to. Filled from the judgements
already on record, so that an existing database is exact once migrated."""

import django.db.models.deletion
from django.db import migrations, models


#: The summary as the judgements and memberships on record make it: each judgement reaches
#: a qualification directly (its own, possible and guaranteed) or through a module of it
#: (guaranteed only when the module is mandatory there), folded by area.
FILL = """
    INSERT INTO commoncore_qualificationcoverage (qualification_id, framework_id, area_id,
        whole_possible, whole_guaranteed, elements_possible, elements_guaranteed)
    SELECT p.q, ar.framework_id, p.area_id,
        MAX(CASE WHEN p.element_id IS NULL THEN 1 ELSE 0 END) = 1,
        MAX(CASE WHEN p.element_id IS NULL THEN p.g ELSE 0 END) = 1,
        COUNT(p.element_id),
        SUM(CASE WHEN p.element_id IS NULL THEN 0 ELSE p.g END)
    FROM (
        SELECT j.q, j.area_id, j.element_id, MAX(j.g) AS g
        FROM (
            SELECT a.qualification_id AS q, a.area_id, a.element_id, 1 AS g
            FROM commoncore_attribute a
            WHERE a.qualification_id IS NOT NULL
            UNION ALL
            SELECT qm.qualification_id, a.area_id, a.element_id,
                CASE WHEN qm.mandatory THEN 1 ELSE 0 END
            FROM qualifications_qualificationmodule qm
            JOIN commoncore_attribute a ON a.module_id = qm.module_id
        ) j
        GROUP BY j.q, j.area_id, j.element_id
    ) p
    JOIN commoncore_area ar ON ar.id = p.area_id
    GROUP BY p.q, ar.framework_id, p.area_id
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FILL)


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
