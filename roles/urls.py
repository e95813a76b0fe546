from django.urls import path

from roles import views

app_name = "roles"
urlpatterns = [
    path("clusters/", views.scheme_index, name="scheme-index"),
    path("clusters/<slug:scheme>/", views.scheme_detail, name="scheme-detail"),
    path("clusters/<slug:scheme>/<slug:cluster>/", views.cluster_detail, name="cluster-detail"),
    path("roles/<slug:slug>/", views.role_detail, name="role-detail"),
    path("role-move/", views.role_move, name="role-move"),
]
