from django.contrib.admin.apps import AdminConfig


class IQFAdminConfig(AdminConfig):
    default_site = "iqf.admin.IQFAdminSite"
