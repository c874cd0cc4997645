"""Stay rules as data, stay events with their audit trail, driver regimes, registry checks and the
per-driver status snapshot that the admin lists sort and filter on."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class WindowKind(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", _("calendar year")
    ROLLING = "rolling", _("rolling window")


class StayRule(models.Model):
    """A stay limit in a zone of host countries for a group of citizenships (and optionally a regime).

    ``host_countries`` and ``citizenships`` are lists of ISO alpha-2 codes; an empty ``citizenships``
    means every citizenship not covered by a more specific rule. ``regime`` empty means the general rule;
    a named regime applies only to drivers who have it.
    """

    name = models.CharField(_("name"), max_length=200)
    host_countries = models.JSONField(_("host countries (zone)"), default=list)
    citizenships = models.JSONField(_("citizenships"), default=list, blank=True)
    regime = models.CharField(_("driver regime"), max_length=64, blank=True)
    limit_days = models.PositiveIntegerField(_("limit (days)"))
    window = models.CharField(_("window"), max_length=16, choices=WindowKind.choices)
    window_days = models.PositiveIntegerField(_("window length (days)"), null=True, blank=True)
    continuous_cap_days = models.PositiveIntegerField(_("continuous stay cap (days)"), null=True, blank=True)
    per_entry_cap_days = models.PositiveIntegerField(_("per-entry cap (days)"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    source = models.URLField(_("source"), max_length=500, blank=True)
    source_note = models.TextField(_("source note"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stay rule")
        verbose_name_plural = _("stay rules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window="calendar_year") | Q(window="rolling", window_days__isnull=False),
                name="stay_rule_rolling_has_length",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="stay_rule_effective_order",
            ),
            models.CheckConstraint(condition=Q(limit_days__gte=1), name="stay_rule_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Admin-side validation: codes are ISO alpha-2, the window is complete, caps and dates make sense."""
        errors: dict[str, list[str]] = {}
        for field_name, allow_empty in (("host_countries", False), ("citizenships", True)):
            value = getattr(self, field_name)
            if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
                errors[field_name] = [_('Give a list of two-letter country codes, e.g. ["RU", "BY"].')]
                continue
            codes = [code.strip().upper() for code in value]
            if not codes and not allow_empty:
                errors[field_name] = [_("Name at least one host country.")]
            elif any(len(code) != 2 or not code.isalpha() for code in codes):
                errors[field_name] = [_("Country codes are ISO 3166-1 alpha-2 (two letters).")]
            else:
                setattr(self, field_name, sorted(set(codes)))
        if self.window == WindowKind.ROLLING and not self.window_days:
            errors["window_days"] = [_("A rolling window needs its length in days.")]
        if self.window == WindowKind.CALENDAR_YEAR and self.window_days:
            errors["window_days"] = [_("A calendar-year window has no length: leave it empty.")]
        if self.window_days and self.limit_days and self.limit_days > self.window_days:
            errors["limit_days"] = [_("The limit cannot be longer than the window.")]
        for cap in ("continuous_cap_days", "per_entry_cap_days"):
            if getattr(self, cap) == 0:
                errors[cap] = [_("Leave the cap empty for none; a cap is at least one day.")]
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = [_("The rule cannot end before it starts.")]
        if errors:
            raise ValidationError(errors)


class DriverRegime(models.Model):
    """A regime or exemption recorded for one driver (e.g. an approved ruID application)."""

    driver = models.ForeignKey(
        "carriers.Driver", verbose_name=_("driver"), on_delete=models.CASCADE, related_name="regimes"
    )
    regime = models.CharField(_("regime"), max_length=64)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    carrier = models.ForeignKey(
        "carriers.Carrier",
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The carrier that recorded it; only its dispatchers see it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("driver regime")
        verbose_name_plural = _("driver regimes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="driver_regime_valid_order",
            )
        ]

    def __str__(self) -> str:
        return self.regime

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": [_("The regime cannot end before it starts.")]})


class StayEvent(models.Model):
    """An entry into or exit from a country on a date. Deleting is a correction: the row stays, marked."""

    class Kind(models.TextChoices):
        ENTRY = "entry", _("entry")
        EXIT = "exit", _("exit")

    class Source(models.TextChoices):
        REPORT = "report", _("report")
        DRIVER = "driver", _("driver")
        DISPATCHER = "dispatcher", _("dispatcher")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    driver = models.ForeignKey(
        "carriers.Driver", verbose_name=_("driver"), on_delete=models.CASCADE, related_name="stay_events"
    )
    country = CountryField(_("country"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    date = models.DateField(_("date"))
    crossing = models.ForeignKey(
        "queues.Crossing",
        verbose_name=_("crossing"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stay_events",
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # The crowd report that produced it, if any: a resent report never records its crossing twice.
    report = models.ForeignKey(
        "queues.Report",
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stay_events",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stay event")
        verbose_name_plural = _("stay events")
        ordering = ["date", "created_at"]
        indexes = [models.Index(fields=["driver", "country", "date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "country", "kind"],
                condition=Q(report__isnull=False),
                name="stay_event_once_per_report",
            )
        ]


class StayEventAudit(models.Model):
    """Who did what to a stay event, when (created, deleted)."""

    event = models.ForeignKey(StayEvent, on_delete=models.CASCADE, related_name="audit")
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]


class RegistryCheck(models.Model):
    """The result of a check of Russia's registry of controlled persons, entered by a person."""

    class Status(models.TextChoices):
        CLEAR = "clear", _("clear")
        LISTED = "listed", _("listed")

    driver = models.ForeignKey(
        "carriers.Driver", verbose_name=_("driver"), on_delete=models.CASCADE, related_name="registry_checks"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    carrier = models.ForeignKey(
        "carriers.Carrier",
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The carrier that recorded it; only its dispatchers see it."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registry check")
        verbose_name_plural = _("registry checks")
        ordering = ["-checked_on", "-created_at"]


class StayStatusSnapshot(models.Model):
    """The last computed status of a driver in one country, for lists that sort and filter by risk."""

    driver = models.ForeignKey("carriers.Driver", on_delete=models.CASCADE, related_name="stay_snapshots")
    country = CountryField()
    on = models.DateField()
    in_country = models.BooleanField(default=False)
    days_used = models.PositiveIntegerField(default=0)
    days_left = models.IntegerField(default=0)
    latest_exit = models.DateField(null=True, blank=True)
    overstay_days = models.PositiveIntegerField(default=0)
    risk = models.CharField(max_length=16, default="ok")
    risk_rank = models.PositiveSmallIntegerField(default=0)  # ok 0, watch 1, high 2, overstay 3, listed 4
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["driver", "country"], name="stay_snapshot_unique")]
        indexes = [models.Index(fields=["country", "risk_rank"])]
