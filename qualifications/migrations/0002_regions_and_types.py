"""England's nine government regions and the qualification types every install uses."""

from django.db import migrations
from django.utils.text import slugify

REGIONS = [
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
]

TYPES = [
    ("NVQ", "National Vocational Qualification: competence assessed in the workplace."),
    ("VRQ", "Vocationally Related Qualification: knowledge for a vocational area."),
    ("Apprenticeship", "A framework of work-based learning with an employer."),
    ("Foundation degree", "A two-year higher education award combining study and work."),
    ("Degree", "An honours or ordinary bachelor's degree."),
    ("Postgraduate", "A qualification above bachelor's degree: certificates, diplomas, masters."),
    ("Professional standards", "Standards or status required to practise (e.g. QTS, EYPS)."),
    ("Nationally endorsed training", "Training endorsed nationally but not accredited."),
    ("Other", "Anything that fits none of the other types."),
]


def create_reference(apps, schema_editor):
    Region = apps.get_model("qualifications", "Region")
    QualificationType = apps.get_model("qualifications", "QualificationType")
    for order, name in enumerate(REGIONS, start=1):
        Region.objects.get_or_create(slug=slugify(name), defaults={"name": name, "order": order})
    for name, description in TYPES:
        if not QualificationType.objects.filter(name__iexact=name).exists():
            QualificationType.objects.create(name=name, description=description)


class Migration(migrations.Migration):
    dependencies = [("qualifications", "0001_initial")]

    operations = [migrations.RunPython(create_reference, migrations.RunPython.noop)]
