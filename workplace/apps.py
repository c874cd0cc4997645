from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class WorkplaceConfig(AppConfig):
    """The dispatcher workplace: the admin site, board, dashboards, charts, templates and static files."""

    name = "workplace"


class KezekAdminConfig(AdminConfig):
    """django.contrib.admin with the workplace's site as ``admin.site``."""

    default_site = "workplace.site.KezekAdminSite"
