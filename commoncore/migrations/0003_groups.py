"""The four working groups and their rights. Nobody but a superuser may delete a record:
withdrawn things are archived. Clerks may remove links (a module from a qualification,
a role from a cluster), which history keeps."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT = {
    "qualifications": [
        "awardingbody", "qualificationtype", "qualification", "module", "qualificationmodule",
        "prerequisite", "provider", "offering",
    ],
    "roles": ["clusterscheme", "cluster", "role", "rolecluster", "rolequalification"],
}
LINKS = {
    "qualifications": ["qualificationmodule", "prerequisite", "offering"],
    "roles": ["rolecluster", "rolequalification"],
}
MAPPING = {"commoncore": ["framework", "area", "element", "mappingreview", "attribute"]}


def codes(spec, actions):
    return [
        (app, f"{action}_{model}")
        for app, models in spec.items()
        for model in models
        for action in actions
    ]


def view_all():
    return codes(CONTENT, ["view"]) + codes(MAPPING, ["view"]) + [("qualifications", "view_region")]


GROUPS = {
    "Data clerk": view_all()
    + codes(CONTENT, ["add", "change", "import", "export"])
    + codes(LINKS, ["delete"])
    + [("qualifications", "archive_qualification")],
    "Mapper": view_all() + [("commoncore", "map_review"), ("commoncore", "change_mappingreview")],
    "Moderator": view_all()
    + [
        ("commoncore", "moderate_review"),
        ("commoncore", "change_mappingreview"),
        ("commoncore", "export_mappingreview"),
        ("commoncore", "export_attribute"),
    ],
    "Analyst": view_all() + codes(CONTENT, ["export"]) + codes(MAPPING, ["export"]),
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = []
        for app_label, codename in wanted:
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("commoncore", "0002_common_core_frameworks"),
        ("qualifications", "0002_regions_and_types"),
        ("roles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
