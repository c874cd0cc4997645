"""The admin site: the dispatchers' workplace."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class KezekAdminSite(admin.AdminSite):
    site_header = _("Kezek — dispatcher workplace")
    site_title = _("Kezek")
    index_title = _("Fleet")

    def has_permission(self, request):
        """Active staff may enter; what each sees is cut to their carrier by the model admins."""
        return request.user.is_active and request.user.is_staff
