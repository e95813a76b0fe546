"""The analysts' reports. Importing the package registers every report in ``REPORTS``."""

from commoncore.reports import coverage_reports, extra, gaps, provision  # noqa: F401
from commoncore.reports.base import REPORTS, Report, Result, Table  # noqa: F401
