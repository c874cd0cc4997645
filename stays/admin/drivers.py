"""Stay columns, filters, inlines and actions that the workplace mixes into the carriers DriverAdmin.

Everything on the driver list comes from :class:`StayStatusSnapshot` through subqueries annotated on the
list's queryset (``annotate_stays``): the list page costs the same few queries for 20 drivers or 2,000.
Checks and regimes added on the driver page go through the stays services (audit, recompute after commit).
"""

from __future__ import annotations

from datetime import date

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from carriers.admin_tenancy import CarrierScopedInline, dispatcher_carrier_id, is_dispatcher, scope_to_carrier
from stays import selectors, services
from stays.domain import RISK_LEVELS, RISK_RANK
from stays.labels import RISK_LABELS
from stays.models import DriverRegime, RegistryCheck, StayEvent, StayStatusSnapshot
from stays.record_pdf import stay_record_pdf

RECORD_FIRST_DATE, RECORD_LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)
RISK_COLOURS = {"ok": "#2e7d32", "watch": "#f9a825", "high": "#ef6c00", "overstay": "#c62828", "listed": "#4a148c"}


class StayRiskFilter(admin.SimpleListFilter):
    """The driver's worst stay risk over every country assessed."""

    title = _("stay risk")
    parameter_name = "stay_risk"

    def lookups(self, request, model_admin):
        return [*((risk, label) for risk, label in RISK_LABELS.items()), ("none", _("not computed"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(stay_risk_rank__isnull=True)
        if value in RISK_RANK:
            return queryset.filter(stay_risk_rank=RISK_RANK[value])
        return queryset


class DaysLeftInRussiaFilter(admin.SimpleListFilter):
    title = _("days left in Russia")
    parameter_name = "ru_days_left"

    def lookups(self, request, model_admin):
        return [
            ("0-5", _("5 or fewer")),
            ("6-15", _("6 to 15")),
            ("16-", _("more than 15")),
            ("none", _("not computed")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "0-5":
            return queryset.filter(ru_days_left__lte=5)
        if value == "6-15":
            return queryset.filter(ru_days_left__gte=6, ru_days_left__lte=15)
        if value == "16-":
            return queryset.filter(ru_days_left__gt=15)
        if value == "none":
            return queryset.filter(ru_days_left__isnull=True)
        return queryset


class StayEventTimelineInline(CarrierScopedInline):
    """The driver's entries and exits, corrections included (added and corrected in the stay event admin)."""

    model = StayEvent
    fk_name = "driver"
    fields = ("date", "country", "kind", "crossing", "source", "created_at", "deleted_at")
    readonly_fields = fields
    ordering = ("-date", "-created_at")
    verbose_name = _("stay event")
    verbose_name_plural = _("stay timeline")
    dispatcher_permissions = frozenset({"view"})
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("crossing")


class RegistryCheckInline(CarrierScopedInline):
    """Check history; a dispatcher adds a check here (recorded through the service, never edited after)."""

    model = RegistryCheck
    fields = ("checked_on", "status", "note", "checked_by", "created_at")
    readonly_fields = ("checked_by", "created_at")
    dispatcher_permissions = frozenset({"view", "add"})
    can_delete = False
    verbose_name_plural = _("registry check history")

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("checked_by")
        return scope_to_carrier(queryset, request.user, "carrier_id")  # not a former carrier's checks


class DriverRegimeInline(CarrierScopedInline):
    """Regimes and exemptions with a note and a source; a dispatcher adds one here."""

    model = DriverRegime
    fields = ("regime", "valid_from", "valid_to", "note", "source", "set_by", "created_at")
    readonly_fields = ("set_by", "created_at")
    dispatcher_permissions = frozenset({"view", "add"})
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("set_by")
        return scope_to_carrier(queryset, request.user, "carrier_id")  # not a former carrier's regimes


def _csv_days_left(driver) -> str:
    value = getattr(driver, "ru_days_left", None)
    return "" if value is None else str(value)


def _csv_risk(driver) -> str:
    rank = getattr(driver, "stay_risk_rank", None)
    return "" if rank is None else RISK_LEVELS[rank]


class DriverStayAdminMixin:
    stay_list_display: tuple = ("days_left_in_russia", "stay_risk_badge")
    stay_list_filter: tuple = (StayRiskFilter, DaysLeftInRussiaFilter)
    stay_inlines: tuple = (StayEventTimelineInline, RegistryCheckInline, DriverRegimeInline)
    stay_actions: tuple = ("record_registry_clear", "record_registry_listed")
    stay_csv_columns: tuple = (
        (_("days left in Russia"), _csv_days_left),
        (_("latest exit from Russia"), lambda driver: driver.ru_latest_exit or ""),
        (_("stay risk"), _csv_risk),
    )

    def stay_urls(self) -> list:
        """The driver's stay record (PDF), named ``admin:stays_driver_record``."""
        return [
            path(
                "<path:object_id>/stay-record/",
                self.admin_site.admin_view(self.stay_record_view),
                name="stays_driver_record",
            )
        ]

    def stay_record_view(self, request, object_id):
        """The stay record of one country (``?country=RU``, optional ``from``/``to``) as a PDF in the user's
        language; a driver this user may not see (another carrier's) is not found."""
        driver = self.get_object(request, unquote(object_id))
        if driver is None or not self.has_view_permission(request, driver):
            raise Http404
        country = (request.GET.get("country") or "RU").upper()

        def bad(text: str | None, day) -> bool:
            return bool(text) and (day is None or not RECORD_FIRST_DATE <= day <= RECORD_LAST_DATE)

        try:
            start = parse_date(request.GET.get("from") or "") or None
            end = parse_date(request.GET.get("to") or "") or None
        except ValueError:  # well formed, not a date (2025-02-30)
            start = end = None
        if country not in countries or bad(request.GET.get("from"), start) or bad(request.GET.get("to"), end):
            return HttpResponseBadRequest(_("Give a country code and dates between 2000-01-01 and 2100-12-31."))
        now = timezone.now()
        period_from, period_to, _today = selectors.stay_record_period(
            driver=driver, at=now, period_from=start, period_to=end
        )
        if period_from > period_to:
            return HttpResponseBadRequest(_("The period cannot start after it ends."))
        result = selectors.stay_record_get(
            driver=driver,
            country=country,
            period_from=period_from,
            period_to=period_to,
            at=now,
            carrier_id=None if request.user.is_superuser else (dispatcher_carrier_id(request.user) or 0),
        )
        response = HttpResponse(stay_record_pdf(result), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="stay-record-{driver.pk}-{country}-{period_to}.pdf"'
        return response

    def annotate_stays(self, queryset):
        worst = StayStatusSnapshot.objects.filter(driver=OuterRef("pk")).order_by("-risk_rank").values("risk_rank")[:1]
        return queryset.annotate(
            ru_days_left=selectors.snapshot_subquery(country="RU", field="days_left"),
            ru_latest_exit=selectors.snapshot_subquery(country="RU", field="latest_exit"),
            stay_risk_rank=Subquery(worst),
        )

    @admin.display(description=_("days left in Russia"), ordering="ru_days_left", empty_value="–")
    def days_left_in_russia(self, driver):
        return getattr(driver, "ru_days_left", None)

    @admin.display(description=_("stay risk"), ordering="stay_risk_rank", empty_value="–")
    def stay_risk_badge(self, driver):
        rank = getattr(driver, "stay_risk_rank", None)
        if rank is None:
            return None
        risk = RISK_LEVELS[rank]
        return format_html(
            '<span class="stay-risk stay-risk-{}" style="background:{};color:#fff;padding:1px 6px;'
            'border-radius:8px;font-size:11px">{}</span>',
            risk,
            RISK_COLOURS[risk],
            RISK_LABELS[risk],
        )

    def has_registry_permission(self, request) -> bool:
        return request.user.is_superuser or is_dispatcher(request.user)

    @admin.action(description=_("Record registry check: clear (today)"), permissions=["registry"])
    def record_registry_clear(self, request, queryset):
        self._record_registry(request, queryset, status=RegistryCheck.Status.CLEAR)

    @admin.action(description=_("Record registry check: listed (today)"), permissions=["registry"])
    def record_registry_listed(self, request, queryset):
        self._record_registry(request, queryset, status=RegistryCheck.Status.LISTED)

    def _record_registry(self, request, queryset, *, status: str) -> None:
        today = timezone.now().date()
        count = 0
        for driver in queryset:
            services.registry_check_record(
                driver=driver,
                status=status,
                checked_on=today,
                checked_by=request.user,
                note=str(_("from the driver list")),
            )
            count += 1
        self.message_user(
            request,
            ngettext(
                "Registry check recorded for %(count)d driver.", "Registry check recorded for %(count)d drivers.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def save_formset(self, request, form, formset, change):
        """New checks and regimes from the driver page go through the services; nothing else is written here."""
        if formset.model is RegistryCheck:
            for item in formset.save(commit=False):
                if item.pk is None:
                    services.registry_check_record(
                        driver=form.instance,
                        status=item.status,
                        checked_on=item.checked_on,
                        checked_by=request.user,
                        note=item.note,
                    )
            return
        if formset.model is DriverRegime:
            for item in formset.save(commit=False):
                if item.pk is None:
                    services.driver_regime_set(
                        driver=form.instance,
                        regime=item.regime,
                        valid_from=item.valid_from,
                        valid_to=item.valid_to,
                        note=item.note,
                        source=item.source,
                        set_by=request.user,
                    )
            return
        super().save_formset(request, form, formset, change)
