from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class IQFConfig(AppConfig):
    """The site: its static files and the site-wide commands (backup, restore,
    totp_device)."""

    name = "iqf"
    verbose_name = "IQF site"


class IQFAdminConfig(AdminConfig):
    default_site = "iqf.admin.IQFAdminSite"
