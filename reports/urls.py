from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>/", views.page, name="report"),
    path("<slug:name>.csv", views.download_csv, name="report-csv"),
    path("<slug:name>.xlsx", views.download_xlsx, name="report-xlsx"),
    path("<slug:name>/<slug:table>.csv", views.download_csv, name="table-csv"),
    path("<slug:name>/<slug:table>.xlsx", views.download_xlsx, name="table-xlsx"),
]
