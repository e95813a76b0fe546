from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = "Roles and clusters"

    def ready(self) -> None:
        from roles import keys  # noqa: F401  (connects its signal handlers)
