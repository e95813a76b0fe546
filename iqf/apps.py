from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class IQFConfig(AppConfig):
    """The site: its static files, the site-wide commands (backup, restore, totp_device)
    and the admin's pages for staff accounts. Installed after the apps whose admin pages
    it replaces."""

    name = "iqf"
    verbose_name = "IQF site"

    def ready(self) -> None:
        from iqf import staff  # noqa: F401  (registers the staff pages)


class IQFAdminConfig(AdminConfig):
    default_site = "iqf.admin.IQFAdminSite"
