"""Each region gets its bit, and each qualification the regions it is offered in."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Cast, Coalesce


def give_bits(apps, schema_editor):
    Region = apps.get_model("qualifications", "Region")
    for bit, region in enumerate(Region.objects.order_by("order", "name", "pk")):
        region.bit = bit
        region.save(update_fields=["bit"])


def derive_regions(apps, schema_editor):
    # A qualification's regions: the sum of the distinct bits of the regions of the
    # providers, not archived, that offer it.
    Qualification = apps.get_model("qualifications", "Qualification")
    Offering = apps.get_model("qualifications", "Offering")
    bit = Cast(1, models.BigIntegerField()).bitleftshift(F("provider__region__bit"))
    regions = (
        Offering.objects.filter(qualification=OuterRef("pk"), provider__is_archived=False,
                                provider__region__isnull=False)
        .order_by().values("qualification")
        .annotate(mask=Sum(bit, distinct=True)).values("mask")
    )
    Qualification.objects.update(offered_regions=Coalesce(
        Subquery(regions, output_field=models.BigIntegerField()), 0,
        output_field=models.BigIntegerField()))


class Migration(migrations.Migration):

    dependencies = [
        ('qualifications', '0005_history_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='qualification',
            name='qualification_facets',
        ),
        migrations.AddField(
            model_name='qualification',
            name='offered_regions',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='region',
            name='bit',
            field=models.PositiveSmallIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(give_bits, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='region',
            name='bit',
            field=models.PositiveSmallIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(derive_regions, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='qualification',
            index=models.Index(fields=['status', 'level', 'qualification_type', 'awarding_body', 'id', 'offered_regions'], name='qualification_facets'),
        ),
        migrations.AddConstraint(
            model_name='qualification',
            constraint=models.CheckConstraint(condition=models.Q(('offered_regions__gte', 0)), name='qualification_offered_regions_mask'),
        ),
        migrations.AddConstraint(
            model_name='region',
            constraint=models.CheckConstraint(condition=models.Q(('bit__lte', 62)), name='region_bit_in_range', violation_error_message='England has too many regions to count.'),
        ),
    ]
