from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the public pages exist, the site's front door is the staff admin.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
