"""Clerks and analysts can read the log of bundle imports."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Data clerk", "Analyst"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commoncore")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="commoncore",
                                        codename="view_bundleimport")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("commoncore", "0006_bundle_import_log")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
