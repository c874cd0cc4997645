from django.contrib.admin.apps import AdminConfig


class KezekAdminConfig(AdminConfig):
    default_site = "config.admin_site.KezekAdminSite"
