"""Each qualification says whether it is key for some role (derived from role links)."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def derive_keys(apps, schema_editor):
    Qualification = apps.get_model("qualifications", "Qualification")
    Link = apps.get_model("roles", "RoleQualification")
    Qualification.objects.update(key_for_a_role=Exists(
        Link.objects.filter(qualification=OuterRef("pk"), is_key=True)))


class Migration(migrations.Migration):

    dependencies = [
        ('qualifications', '0006_offered_regions'),
        ('roles', '0003_key_links_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='qualification',
            name='qualification_facets',
        ),
        migrations.AddField(
            model_name='qualification',
            name='key_for_a_role',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(derive_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='qualification',
            index=models.Index(fields=['status', 'level', 'qualification_type', 'awarding_body', 'id', 'offered_regions', 'key_for_a_role'], name='qualification_facets'),
        ),
    ]
