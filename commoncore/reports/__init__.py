"""The analysts' reports. Importing the package registers every report in ``REPORTS``."""

from commoncore.reports import coverage_reports, gaps, provision  # noqa: F401
from commoncore.reports.base import REPORTS, Report, Result, Table  # noqa: F401
