from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    name = "qualifications"
    verbose_name = "Qualifications and modules"

    def ready(self) -> None:
        from iqf.lib import derived
        from qualifications.regions import OFFERED_REGIONS

        derived.register(OFFERED_REGIONS)
