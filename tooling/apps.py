from django.apps import AppConfig


class ToolingConfig(AppConfig):
    """The benchmark, the load-and-faults run and the synthetic data generator: tools
    that drive the product from outside. Nothing in the product imports them."""

    name = "tooling"
    verbose_name = "Benchmark and test tooling"
