"""The driver list and driver page dispatchers work from: the carriers' driver admin with the stays app's
columns, filters, inlines, actions and CSV columns (each app keeps its own; the workplace puts them together).

The driver page leads with the stay summary, calendar strips, timeline, registry checks, regimes and an inline
trip plan (``workplace.driver_page``); below them the admin's form, where a dispatcher records a registry check
or a regime (the history of both is listed readably above, so these inlines only add).
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carriers.admin import DriverAdmin as CarrierDriverAdmin
from carriers.models import Driver
from stays.admin.drivers import DriverRegimeInline, DriverStayAdminMixin, RegistryCheckInline
from workplace.driver_page import driver_page_context


class RegistryCheckAddInline(RegistryCheckInline):
    verbose_name = _("registry check")
    verbose_name_plural = _("Record a registry check")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class DriverRegimeAddInline(DriverRegimeInline):
    verbose_name_plural = _("Record a regime or exemption")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Driver)
class DriverAdmin(DriverStayAdminMixin, CarrierDriverAdmin):
    change_form_template = "admin/workplace/driver_change_form.html"
    list_display = (*CarrierDriverAdmin.list_display, *DriverStayAdminMixin.stay_list_display)
    list_filter = (*CarrierDriverAdmin.list_filter, *DriverStayAdminMixin.stay_list_filter)
    inlines = (*CarrierDriverAdmin.inlines, RegistryCheckAddInline, DriverRegimeAddInline)
    actions = (*CarrierDriverAdmin.actions, *DriverStayAdminMixin.stay_actions)
    csv_columns = (*CarrierDriverAdmin.csv_columns, *DriverStayAdminMixin.stay_csv_columns)

    def get_queryset(self, request):
        return self.annotate_stays(super().get_queryset(request))

    def get_urls(self):
        return self.stay_urls() + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The admin's page, led by the driver's stays; another carrier's driver stays "not found"."""
        driver = self.get_object(request, admin.utils.unquote(object_id))
        extra = dict(extra_context or {})
        if driver is not None:
            now = timezone.now()
            extra["driver_page"] = driver_page_context(request, driver=driver, on=now.date(), now=now)
        return super().change_view(request, object_id, form_url, extra_context=extra)
