from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from iqf import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("roles.urls")),
    path("", include("qualifications.urls")),
    path("", include("commoncore.urls")),
    path("reports/", include("reports.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("health/", views.health, name="health"),
]
