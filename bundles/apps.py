from django.apps import AppConfig


class BundlesConfig(AppConfig):
    """Bundles: the whole database's content in and out as CSV files or one workbook,
    the log of imports, and the commands that import, export and load the demonstration
    data."""

    name = "bundles"
