from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    name = "qualifications"
    verbose_name = "Qualifications and modules"

    def ready(self) -> None:
        from qualifications import regions  # noqa: F401  (connects its signal handlers)
