from django.urls import path

from qualifications import views

app_name = "qualifications"
urlpatterns = [
    path("qualifications/", views.finder, name="finder"),
    # Refs such as 500/1234/5 contain slashes, hence ``path``.
    path("qualifications/<path:ref>/", views.qualification_detail, name="qualification-detail"),
    path("modules/<path:ref>/", views.module_detail, name="module-detail"),
    path("providers/", views.provider_directory, name="provider-directory"),
]
