from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.backends.signals import connection_created


class IQFConfig(AppConfig):
    """The site: its static files, the site-wide commands (backup, restore, totp_device,
    refresh_derived), the admin's pages for staff accounts, and the watch every database
    connection keeps on what is written. Installed after the apps whose admin pages it
    replaces."""

    name = "iqf"
    verbose_name = "IQF site"

    def ready(self) -> None:
        from iqf import staff  # noqa: F401  (registers the staff pages)
        from iqf.lib import derived, pagecache

        # every connection reports its writes, so cached pages know when content changed,
        # and refuses hand-written SQL that would leave derived data stale
        connection_created.connect(pagecache.watch_connection, dispatch_uid="iqf-pagecache")
        connection_created.connect(derived.watch_connection, dispatch_uid="iqf-derived")
        derived.register(pagecache.PAGE_COUNTER)


class IQFAdminConfig(AdminConfig):
    default_site = "iqf.admin.IQFAdminSite"
