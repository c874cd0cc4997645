"""Admin for crossings (superusers), reports and visits (dispatchers: their own drivers' only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from carriers.admin_tenancy import CarrierScopedAdmin
from queues.models import Crossing, PlannedClosure, Queue, Report, Visit
from queues.services.reports import report_trust_set


class QueueInline(admin.TabularInline):
    model = Queue
    extra = 0
    fields = ("from_country", "to_country")


class PlannedClosureInline(admin.TabularInline):
    model = PlannedClosure
    extra = 0
    fields = ("country", "starts_at", "ends_at", "reason", "source")


@admin.register(Crossing)
class CrossingAdmin(admin.ModelAdmin):
    """Operators correct coordinates (often only settlement-level), names, spacing and the schedule, or retire a
    crossing.

    Only superusers (Django's defaults: staff need explicit model permissions, which dispatchers never get).
    """

    list_display = ("slug", "name", "country_a", "country_b", "coord_kind", "lat", "lon", "active")
    list_filter = ("active", "coord_kind", "country_b")
    search_fields = ("slug", "name", "name_ru", "name_kk")
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("slug", "active", "name", "name_ru", "name_kk")}),
        (_("Countries"), {"fields": ("country_a", "region_a", "time_zone_a", "country_b", "region_b", "time_zone_b")}),
        (_("Location"), {"fields": ("lat", "lon", "coord_kind", "coord_source", "vehicle_spacing_m")}),
        (
            _("Schedule"),
            {
                "fields": (
                    "opening_hours_a",
                    "daily_quota_a",
                    "opening_hours_b",
                    "daily_quota_b",
                    "schedule_source",
                ),
                "description": _(
                    "Opening hours in each side's local time and the booking system's daily quota; the wait "
                    "estimator takes them as prior knowledge. Planned closures are listed below."
                ),
            },
        ),
        (_("Notes"), {"fields": ("notes", "updated_at")}),
    )
    inlines = [QueueInline, PlannedClosureInline]


def _set_trust(modeladmin, request, report_ids, *, trusted: bool) -> None:
    changed = report_trust_set(report_ids=report_ids, trusted=trusted, actor=request.user)
    message = (
        ngettext("%(count)d report marked trusted.", "%(count)d reports marked trusted.", changed)
        if trusted
        else ngettext("%(count)d report marked untrusted.", "%(count)d reports marked untrusted.", changed)
    )
    modeladmin.message_user(request, message % {"count": changed}, messages.SUCCESS)


class _ReadOnlyFieldsMixin:
    """Dispatchers may mark their drivers' reports untrusted ("change") but never edit a report or visit by hand,
    and never trust a report again: as for a driver, that undoes an operator's decision, so only operators may."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in (self.exclude or ())]

    def has_trust_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


@admin.register(Report)
class ReportAdmin(_ReadOnlyFieldsMixin, CarrierScopedAdmin):
    carrier_path = "driver__carrier_id"
    dispatcher_permissions = frozenset({"view", "change"})
    list_display = ("id", "driver", "queue", "kind", "observed_at", "received_at", "position", "flags", "trusted")
    list_filter = ("kind", "trusted", "queue__crossing")
    list_select_related = ("driver", "queue__crossing")
    search_fields = ("id", "driver__phone", "driver__name")
    date_hierarchy = "observed_at"
    actions = ["mark_untrusted", "mark_trusted"]
    # Nobody needs the content hash to judge a report, and shown next to the report's time it invites guessing.
    exclude = ("content_hash",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Mark untrusted (kept, but out of estimates)"), permissions=["change"])
    def mark_untrusted(self, request, queryset):
        _set_trust(self, request, list(queryset.values_list("pk", flat=True)), trusted=False)

    @admin.action(description=_("Mark trusted"), permissions=["trust"])
    def mark_trusted(self, request, queryset):
        _set_trust(self, request, list(queryset.values_list("pk", flat=True)), trusted=True)


@admin.register(Visit)
class VisitAdmin(_ReadOnlyFieldsMixin, CarrierScopedAdmin):
    carrier_path = "driver__carrier_id"
    dispatcher_permissions = frozenset({"view", "change"})
    list_display = ("id", "driver", "queue", "status", "joined_at", "crossed_at", "left_at")
    list_filter = ("status", "queue__crossing")
    list_select_related = ("driver", "queue__crossing")
    search_fields = ("driver__phone", "driver__name")
    date_hierarchy = "joined_at"
    actions = ["mark_untrusted", "mark_trusted"]

    def has_add_permission(self, request):
        return False

    def _report_ids(self, queryset) -> list:
        return list(Report.objects.filter(visit__in=queryset).values_list("pk", flat=True))

    @admin.action(description=_("Mark the visits' reports untrusted"), permissions=["change"])
    def mark_untrusted(self, request, queryset):
        _set_trust(self, request, self._report_ids(queryset), trusted=False)

    @admin.action(description=_("Mark the visits' reports trusted"), permissions=["trust"])
    def mark_trusted(self, request, queryset):
        _set_trust(self, request, self._report_ids(queryset), trusted=True)
