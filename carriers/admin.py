"""The dispatchers' workplace for carriers, drivers and their devices; dispatchers and notifications for operators.

Every admin a dispatcher uses is a :class:`~carriers.admin_tenancy.CarrierScopedAdmin`: it sees only its own
carrier. Operators (superusers) see everything.
"""

from __future__ import annotations

import csv
from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.filters import CountryFilter

from carriers import services
from carriers.admin_tenancy import CarrierScopedAdmin, CarrierScopedInline, SuperuserOnlyAdmin, is_dispatcher
from carriers.models import Carrier, Device, Dispatcher, Notification


def _csv_cell(value) -> str:
    """A cell that a spreadsheet will not run as a formula (``=``, ``@``, or a sign not followed by a number)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


def _csv_getter(spec) -> tuple[str, Callable]:
    """A CSV column from ``"attr"`` or ``(header, "attr" | callable(driver))``."""
    if isinstance(spec, str):
        header, source = spec, spec
    else:
        header, source = spec
    if callable(source):
        return str(header), source
    return str(header), lambda obj, _name=source: getattr(obj, _name, "")


# --- Carriers ---------------------------------------------------------------------------------------
@admin.register(Carrier)
class CarrierAdmin(CarrierScopedAdmin):
    carrier_path = "pk"
    dispatcher_permissions = frozenset({"view"})
    list_display = ("name", "invite_code", "driver_count", "created_at")
    search_fields = ("name",)
    readonly_fields = ("invite_code", "created_at")
    actions = ("rotate_invite_code",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(driver_count=Count("drivers"))

    @admin.display(description=_("drivers"), ordering="driver_count")
    def driver_count(self, obj: Carrier) -> int:
        return obj.driver_count

    def has_rotate_permission(self, request) -> bool:
        """Operators and the carrier's own dispatchers may rotate (the queryset is already cut to their carrier)."""
        return request.user.is_superuser or is_dispatcher(request.user)

    @admin.action(description=_("Rotate invite code (the old code stops working)"), permissions=["rotate"])
    def rotate_invite_code(self, request, queryset):
        for carrier in queryset:
            services.carrier_invite_rotate(carrier=carrier)
            self.message_user(
                request,
                _("%(carrier)s: new invite code %(code)s") % {"carrier": carrier.name, "code": carrier.invite_code},
                messages.SUCCESS,
            )


# --- Drivers ----------------------------------------------------------------------------------------
class DeviceInline(CarrierScopedInline):
    model = Device
    fields = ("name", "created_at", "last_used_at", "token_expiry")
    readonly_fields = ("name", "created_at", "last_used_at", "token_expiry")
    can_delete = False
    verbose_name = _("signed-in device")
    verbose_name_plural = _("signed-in devices")

    def has_add_permission(self, request, obj=None):
        return False  # devices appear by signing in

    def has_delete_permission(self, request, obj=None):
        return False  # deleting the row would leave its token alive: sign out in the device admin instead

    @admin.display(description=_("token expires"))
    def token_expiry(self, obj: Device):
        return obj.auth_token.expiry


class DriverAdmin(CarrierScopedAdmin):
    """Drivers of the dispatcher's carrier. Registered by the workplace (``workplace.admin``), which adds the
    stays app's columns, filters, inlines, actions and CSV columns."""

    carrier_path = "carrier_id"
    dispatcher_permissions = frozenset({"view", "change"})
    list_display = ("name", "phone", "vehicle_plate", "citizenship", "carrier", "trusted", "created_at")
    list_filter = ("trusted", ("citizenship", CountryFilter), "language")
    list_select_related = ("carrier",)
    search_fields = ("name", "phone", "vehicle_plate")
    inlines = (DeviceInline,)
    actions = ("mark_untrusted", "mark_trusted", "export_csv")
    raw_id_fields = ("user",)
    csv_columns: tuple = (
        (_("name"), "name"),
        (_("phone"), "phone"),
        (_("vehicle plate"), "vehicle_plate"),
        (_("citizenship"), lambda driver: driver.citizenship.code),
        (_("carrier"), lambda driver: driver.carrier.name if driver.carrier_id else ""),
    )
    dispatcher_readonly_fields = ("user", "phone", "carrier", "trusted", "reliability", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("carrier", "user")

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            # A dispatcher must not even see the names of other carriers in a filter.
            filters = ("carrier", *filters)
        return filters

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ("reliability", "created_at")
        return self.dispatcher_readonly_fields

    def has_trust_permission(self, request) -> bool:
        """Only operators may re-trust a driver; a dispatcher may only flag their own driver as untrusted."""
        return request.user.is_superuser

    @admin.action(description=_("Mark as untrusted (reports kept out of estimates)"), permissions=["change"])
    def mark_untrusted(self, request, queryset):
        self._trust_set(request, queryset, trusted=False)

    @admin.action(description=_("Mark as trusted"), permissions=["trust"])
    def mark_trusted(self, request, queryset):
        self._trust_set(request, queryset, trusted=True)

    def _trust_set(self, request, queryset, *, trusted: bool) -> None:
        count = 0
        for driver in queryset:
            services.driver_trust_set(driver=driver, trusted=trusted, actor=request.user)
            count += 1
        self.message_user(
            request, ngettext("%(count)d driver updated.", "%(count)d drivers updated.", count) % {"count": count}
        )

    def get_csv_columns(self) -> list[tuple[str, Callable]]:
        return [_csv_getter(spec) for spec in self.csv_columns]

    @admin.action(description=_("Export selected drivers as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        columns = self.get_csv_columns()
        filename = f"drivers-{timezone.now():%Y%m%d-%H%M}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.write("\ufeff")  # lets spreadsheet programs read the Cyrillic names as UTF-8
        writer = csv.writer(response)
        writer.writerow([header for header, _getter in columns])
        for driver in queryset:
            writer.writerow([_csv_cell(getter(driver)) for _header, getter in columns])
        return response


@admin.register(Dispatcher)
class DispatcherAdmin(SuperuserOnlyAdmin):
    list_display = ("user", "carrier", "language")
    list_filter = ("carrier",)
    list_select_related = ("user", "carrier")
    search_fields = ("user__username", "carrier__name")
    raw_id_fields = ("user",)


@admin.register(Device)
class DeviceAdmin(SuperuserOnlyAdmin):
    """Deleting a device signs it out: its token is deleted with it."""

    list_display = ("name", "driver", "created_at", "last_used_at", "token_expiry")
    list_select_related = ("driver", "auth_token")
    search_fields = ("name", "driver__name", "driver__phone")
    readonly_fields = ("driver", "auth_token", "name", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("token expires"))
    def token_expiry(self, obj: Device):
        return obj.auth_token.expiry

    def delete_model(self, request, obj: Device) -> None:
        services.device_sign_out(auth_token=obj.auth_token)

    def delete_queryset(self, request, queryset) -> None:
        for device in queryset.select_related("auth_token"):
            services.device_sign_out(auth_token=device.auth_token)


@admin.register(Notification)
class NotificationAdmin(CarrierScopedAdmin):
    """Operators see every notification; a dispatcher sees those addressed to their carrier."""

    carrier_path = "carrier_id"
    dispatcher_permissions = frozenset({"view"})
    list_display = ("title", "kind", "level", "audience", "driver", "carrier", "created_at", "read_at")
    list_filter = ("audience", "kind", "level")
    list_select_related = ("driver", "carrier")
    search_fields = ("title", "body")
    date_hierarchy = "created_at"
    raw_id_fields = ("driver", "carrier")
