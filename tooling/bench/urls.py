"""The site's URLs plus the framework floor: a view that returns a fixed response through
the same middleware, without templates or queries."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from iqf import urls

FLOOR_PATH = "/__benchmark__/floor/"


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(FLOOR_PATH.strip("/") + "/", floor), *urls.urlpatterns]
