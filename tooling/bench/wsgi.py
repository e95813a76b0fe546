"""The WSGI application the load test serves: the site plus the framework floor's URL."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqf.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after set-up)

settings.ROOT_URLCONF = "tooling.bench.urls"
