from django.apps import AppConfig


class CommoncoreConfig(AppConfig):
    name = "commoncore"
    verbose_name = "Common Core mapping"
