from django.apps import AppConfig


class CommoncoreConfig(AppConfig):
    name = "commoncore"
    verbose_name = "Common Core mapping"

    def ready(self) -> None:
        from commoncore.summary import COVERAGE_SUMMARY
        from iqf.lib import derived

        derived.register(COVERAGE_SUMMARY)
