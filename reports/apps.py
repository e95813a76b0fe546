from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The analysts' reports: coverage, gaps and provision over all three domain apps,
    as pages, CSV and XLSX under /reports/."""

    name = "reports"
