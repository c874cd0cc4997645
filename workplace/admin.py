"""The driver list dispatchers work from: the carriers' driver admin with the stays app's columns, filters,
inlines, actions and CSV columns (each app keeps its own; the workplace puts them together)."""

from django.contrib import admin

from carriers.admin import DriverAdmin as CarrierDriverAdmin
from carriers.models import Driver
from stays.admin.drivers import DriverStayAdminMixin


@admin.register(Driver)
class DriverAdmin(DriverStayAdminMixin, CarrierDriverAdmin):
    list_display = (*CarrierDriverAdmin.list_display, *DriverStayAdminMixin.stay_list_display)
    list_filter = (*CarrierDriverAdmin.list_filter, *DriverStayAdminMixin.stay_list_filter)
    inlines = (*CarrierDriverAdmin.inlines, *DriverStayAdminMixin.stay_inlines)
    actions = (*CarrierDriverAdmin.actions, *DriverStayAdminMixin.stay_actions)
    csv_columns = (*CarrierDriverAdmin.csv_columns, *DriverStayAdminMixin.stay_csv_columns)

    def get_queryset(self, request):
        return self.annotate_stays(super().get_queryset(request))
