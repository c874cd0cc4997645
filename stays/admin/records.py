"""Stays in the dispatchers' workplace: rules (operators), events, registry checks and regimes (dispatchers).

Writes go through the stays services: an event added here is validated like one from the app and gets an
audit line; a correction marks the event deleted instead of removing it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from carriers.admin_tenancy import CarrierScopedAdmin, SuperuserOnlyAdmin
from stays import services
from stays.models import DriverRegime, RegistryCheck, StayEvent, StayEventAudit, StayRule, StayStatusSnapshot


# --- Rules (operators) ------------------------------------------------------------------------------
class CountryListField(forms.CharField):
    """Country codes typed as ``RU, BY`` and stored as a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [code.strip().upper() for code in text.replace(";", ",").split(",") if code.strip()]


class StayRuleForm(forms.ModelForm):
    host_countries = CountryListField(
        label=_("host countries (zone)"), help_text=_("Two-letter codes separated by commas, e.g. RU, BY.")
    )
    citizenships = CountryListField(
        label=_("citizenships"),
        required=False,
        help_text=_("Two-letter codes separated by commas; empty means any citizenship without a specific rule."),
    )

    class Meta:
        model = StayRule
        fields = (
            "name",
            "active",
            "host_countries",
            "citizenships",
            "regime",
            "limit_days",
            "window",
            "window_days",
            "continuous_cap_days",
            "per_entry_cap_days",
            "effective_from",
            "effective_to",
            "source",
            "source_note",
        )


@admin.register(StayRule)
class StayRuleAdmin(SuperuserOnlyAdmin):
    """Operators only: a rule changes every driver's status."""

    form = StayRuleForm
    list_display = (
        "name",
        "zone",
        "limit_days",
        "window",
        "window_days",
        "continuous_cap_days",
        "per_entry_cap_days",
        "regime",
        "effective_from",
        "effective_to",
        "active",
    )
    list_filter = ("active", "window", "regime")
    search_fields = ("name", "source_note")
    fieldsets = (
        (None, {"fields": ("name", "active", "host_countries", "citizenships", "regime")}),
        (
            _("Limit"),
            {"fields": ("limit_days", "window", "window_days", "continuous_cap_days", "per_entry_cap_days")},
        ),
        (_("In force"), {"fields": ("effective_from", "effective_to")}),
        (_("Source"), {"fields": ("source", "source_note")}),
    )

    @admin.display(description=_("zone"))
    def zone(self, rule: StayRule) -> str:
        return ", ".join(rule.host_countries)

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off (active) or end it (effective to): past statuses stay explainable


# --- Events (dispatchers) ---------------------------------------------------------------------------
class StayEventForm(forms.ModelForm):
    class Meta:
        model = StayEvent
        fields = ("driver", "country", "kind", "date", "crossing")

    def clean(self):
        data = super().clean()
        driver, country, kind, day = (data.get(name) for name in ("driver", "country", "kind", "date"))
        if driver and country and kind and day:
            errors = services.stay_event_problems(
                driver=driver,
                country=str(country),
                kind=kind,
                date=day,
                as_of=timezone.now(),
                crossing=data.get("crossing"),
            )
            for field, messages_ in errors.items():
                self.add_error(field if field in self.fields else None, messages_)
        return data


class StayEventAuditInline(admin.TabularInline):
    model = StayEventAudit
    fields = ("at", "action", "actor", "snapshot", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the parent admin already cut the event to the user's carrier


class CorrectionStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "corrected"

    def lookups(self, request, model_admin):
        return [("no", _("counts")), ("yes", _("corrected away"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(StayEvent)
class StayEventAdmin(CarrierScopedAdmin):
    carrier_path = "driver__carrier_id"
    dispatcher_permissions = frozenset({"view", "add"})
    form = StayEventForm
    list_display = ("driver", "date", "country", "kind", "crossing", "source", "counts")
    list_filter = (CorrectionStatusFilter, "kind", "source", "country")
    list_select_related = ("driver", "crossing")
    search_fields = ("driver__name", "driver__phone")
    date_hierarchy = "date"
    ordering = ("-date", "-created_at")
    inlines = (StayEventAuditInline,)
    actions = ("correct_away",)
    raw_id_fields = ("driver",)

    @admin.display(description=_("counts"), boolean=True)
    def counts(self, event: StayEvent) -> bool:
        return event.deleted_at is None

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # an event is never edited: correct it away and add the right one
            return ("driver", "country", "kind", "date", "crossing", "source", "created_by", "deleted_at")
        return ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("driver", "country", "kind", "date", "crossing")
        return self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # corrections keep the row: use the "correct away" action

    def has_correct_permission(self, request) -> bool:
        return self.has_add_permission(request)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.stay_event_record(
            driver=data["driver"],
            country=str(data["country"]),
            kind=data["kind"],
            date=data["date"],
            crossing=data.get("crossing"),
            source=StayEvent.Source.DISPATCHER,
            actor=request.user,
            as_of=timezone.now(),
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """Nothing to save beside the event (its audit line is written by the service)."""

    @admin.action(
        description=_("Correct away (the event stops counting; kept in the audit trail)"), permissions=["correct"]
    )
    def correct_away(self, request, queryset):
        count = 0
        for event in queryset.filter(deleted_at__isnull=True):
            services.stay_event_delete(
                event=event, actor=request.user, as_of=timezone.now(), note=_("admin correction")
            )
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d event corrected away.", "%(count)d events corrected away.", count) % {"count": count},
            messages.SUCCESS,
        )


# --- Registry checks and regimes (dispatchers add, through the services) ----------------------------
@admin.register(RegistryCheck)
class RegistryCheckAdmin(CarrierScopedAdmin):
    # The check's own carrier, not the driver's current one: a driver who moves leaves it behind.
    carrier_path = "carrier_id"
    dispatcher_permissions = frozenset({"view", "add"})
    list_display = ("driver", "checked_on", "status", "checked_by", "note")
    list_filter = ("status", "checked_on")
    list_select_related = ("driver", "checked_by")
    search_fields = ("driver__name", "driver__phone")
    fields = ("driver", "status", "checked_on", "note")
    raw_id_fields = ("driver",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # a mistaken entry; dispatchers record a new check instead

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.registry_check_record(
            driver=data["driver"],
            status=data["status"],
            checked_on=data["checked_on"],
            checked_by=request.user,
            note=data.get("note", ""),
        )
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(DriverRegime)
class DriverRegimeAdmin(CarrierScopedAdmin):
    carrier_path = "carrier_id"  # as for checks: the regime's recording carrier
    dispatcher_permissions = frozenset({"view", "add"})
    list_display = ("driver", "regime", "valid_from", "valid_to", "set_by", "source")
    list_filter = ("regime",)
    list_select_related = ("driver", "set_by")
    search_fields = ("driver__name", "driver__phone", "regime")
    fields = ("driver", "regime", "valid_from", "valid_to", "note", "source")
    raw_id_fields = ("driver",)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # ending a regime early is an operator's correction

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        saved = services.driver_regime_set(
            driver=data["driver"],
            regime=data["regime"],
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
            note=data.get("note", ""),
            source=data.get("source", ""),
            set_by=request.user,
        )
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(StayStatusSnapshot)
class StayStatusSnapshotAdmin(SuperuserOnlyAdmin):
    """Operators: what the daily check last computed (read-only)."""

    list_display = ("driver", "country", "on", "days_used", "days_left", "latest_exit", "overstay_days", "risk")
    list_filter = ("country", "risk")
    list_select_related = ("driver",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
