"""Every report, by name. Importing this module registers each one in ``REPORTS``."""

from reports import coverage_reports, extra, gaps, provision  # noqa: F401
from reports.base import REPORTS, Report, Result, Table  # noqa: F401
