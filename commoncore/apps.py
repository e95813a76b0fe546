from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CommoncoreConfig(AppConfig):
    name = "commoncore"
    verbose_name = "Common Core mapping"

    def ready(self) -> None:
        from iqf.lib.pagecache import watch_connection

        # every connection reports its writes, so cached pages know when content changed
        connection_created.connect(watch_connection, dispatch_uid="iqf-pagecache")
