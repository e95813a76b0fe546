from django.urls import path

from commoncore import views

app_name = "commoncore"
urlpatterns = [
    path("common-core/", views.framework, name="framework"),
    path("common-core/<slug:slug>/", views.framework, name="framework-detail"),
]
