from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = "Roles and clusters"

    def ready(self) -> None:
        from iqf.lib import derived
        from roles.keys import KEY_FLAGS

        derived.register(KEY_FLAGS)
