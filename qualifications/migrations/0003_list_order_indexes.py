from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("qualifications", "0002_regions_and_types"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="qualification",
            index=models.Index(fields=["title", "ref"], name="qualification_title_ref"),
        ),
        migrations.AddIndex(
            model_name="module",
            index=models.Index(fields=["title", "ref"], name="module_title_ref"),
        ),
    ]
