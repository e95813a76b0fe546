"""Load the reference data, the demo users and the demonstration bundle. Safe to rerun."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bundles.services import bundle_import
from bundles.sheets import BundleError

DEMO_PASSWORD = "iqf-demo-2026"
#: username → (group, description); "admin" is a superuser
DEMO_USERS = {
    "clerk": ("Data clerk", "enters and imports qualifications, modules, roles, providers"),
    "mapper": ("Mapper", "maps modules to the Common Core"),
    "mapper2": ("Mapper", "a second mapper, so moderation has two people to compare"),
    "moderator": ("Moderator", "reviews mappers' grids"),
    "analyst": ("Analyst", "reads and exports reports"),
    "admin": (None, "superuser"),
}


class Command(BaseCommand):
    help = "Load reference data, create the demo users and import the demonstration bundle."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Load only the reference data (no demo users or demo bundle).",
        )

    def handle(self, *args, no_demo: bool, **options):
        reference = settings.BASE_DIR / "fixtures" / "reference"
        demo = settings.BASE_DIR / "fixtures" / "demo"
        try:
            self._import(reference, "Reference data")
            if no_demo:
                return
            if settings.PRODUCTION:
                raise CommandError("Demo users have a published password: not in production.")
            self._users()
            self._import(demo, "Demonstration data", demonstration=True)
        except BundleError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError("Setup stopped: the bundle above was not imported.") from None

    def _import(self, path, label: str, demonstration: bool = False) -> None:
        summaries = bundle_import(path=path, demonstration=demonstration)
        created = sum(s.created for s in summaries)
        updated = sum(s.updated for s in summaries)
        self.stdout.write(f"{label}: {created} rows created, {updated} updated.")

    @transaction.atomic
    def _users(self) -> None:
        User = get_user_model()
        for username, (group_name, _) in DEMO_USERS.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": True,
                    "is_superuser": group_name is None,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        self.stdout.write("Demo users (password " + DEMO_PASSWORD + "):")
        for username, (group_name, what) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<10} {group_name or 'Superuser':<11} {what}")
