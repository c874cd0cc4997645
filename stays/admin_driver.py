"""Stay columns, filters, inlines and actions that the carriers DriverAdmin mixes in."""


class DriverStayAdminMixin:
    stay_list_display: tuple = ()
    stay_list_filter: tuple = ()
    stay_inlines: tuple = ()
    stay_actions: tuple = ()

    def annotate_stays(self, queryset):
        return queryset
