"""Rights on the mapping workflow's records: everyone who works here can see grids,
policies and events; moderators set policies; moderators and analysts export events."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_gridmark", "view_moderationpolicy", "view_reviewevent"]
GROUPS = {
    "Data clerk": VIEW,
    "Mapper": VIEW,
    "Moderator": VIEW + ["change_moderationpolicy", "export_reviewevent"],
    "Analyst": VIEW + ["export_reviewevent", "export_moderationpolicy"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commoncore")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.get(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="commoncore", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("commoncore", "0004_mapping_workflow")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
