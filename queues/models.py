"""Crossings and their queues, crowd reports, queue visits, estimates and the partner side."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class CoveringIndex(models.Index):
    """An index that also carries ``covering`` columns where the database can (PostgreSQL's ``INCLUDE``), and is a
    plain index elsewhere. ``Index(include=...)`` would do the same on SQLite, with a system-check warning (W040) on
    every ``migrate`` and ``check`` there."""

    def __init__(self, *args, covering: tuple[str, ...] | list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.covering = tuple(covering)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["covering"] = self.covering
        return path, args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if not self.covering or not schema_editor.connection.features.supports_covering_indexes:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        index = self.clone()
        index.include = self.covering
        return models.Index.create_sql(index, model, schema_editor, using=using, **kwargs)


class CoordKind(models.TextChoices):
    CHECKPOINT = "checkpoint", _("checkpoint")
    SETTLEMENT = "settlement", _("settlement")
    ESTIMATE = "estimate", _("estimate")


class Crossing(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200, blank=True)
    country_a = CountryField(_("country A"))
    country_b = CountryField(_("country B"))
    region_a = models.CharField(_("region A"), max_length=200, blank=True)
    region_b = models.CharField(_("region B"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    coord_kind = models.CharField(_("coordinate kind"), max_length=16, choices=CoordKind.choices)
    coord_source = models.TextField(_("coordinate source"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Each country dates a border crossing by its own local calendar (IANA zones; e.g. Asia/Oral, Europe/Saratov).
    time_zone_a = models.CharField(_("time zone, side A"), max_length=64, blank=True)
    time_zone_b = models.CharField(_("time zone, side B"), max_length=64, blank=True)
    # Metres of road one queued truck takes (truck plus gap): turns a reported distance into a position.
    vehicle_spacing_m = models.FloatField(_("metres per queued truck"), default=20.0)
    # The schedule of each side (see queues.domain.schedule): local opening hours ("09:00-18:00"; blank: around the
    # clock or unknown) and the booking system's daily quota of trucks (blank: none). Planned closures are rows of
    # PlannedClosure.
    opening_hours_a = models.CharField(
        _("opening hours, side A"),
        max_length=11,
        blank=True,
        help_text=_("Local time, e.g. 09:00-18:00; blank: around the clock or unknown."),
    )
    opening_hours_b = models.CharField(
        _("opening hours, side B"),
        max_length=11,
        blank=True,
        help_text=_("Local time, e.g. 09:00-18:00; blank: around the clock or unknown."),
    )
    daily_quota_a = models.PositiveIntegerField(
        _("daily quota, side A"),
        null=True,
        blank=True,
        help_text=_("Trucks a day the booking system lets through; blank: no quota."),
    )
    daily_quota_b = models.PositiveIntegerField(
        _("daily quota, side B"),
        null=True,
        blank=True,
        help_text=_("Trucks a day the booking system lets through; blank: no quota."),
    )
    schedule_source = models.TextField(
        _("schedule source"), blank=True, help_text=_("Where the hours and quotas come from.")
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("crossing")
        verbose_name_plural = _("crossings")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(lat__gte=-90, lat__lte=90), name="crossing_lat_range"),
            models.CheckConstraint(condition=Q(lon__gte=-180, lon__lte=180), name="crossing_lon_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.core.exceptions import ValidationError

        from queues.domain.schedule import parse_opening_hours

        errors = {}
        for field in ("time_zone_a", "time_zone_b"):
            value = getattr(self, field)
            if not value:
                continue
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                errors[field] = _("Not a known time zone; use an IANA name such as Asia/Almaty.")
        for field in ("opening_hours_a", "opening_hours_b"):
            try:
                parse_opening_hours(getattr(self, field))
            except ValueError:
                errors[field] = _("Use local hours such as 09:00-18:00 (24:00 for midnight), or leave it blank.")
        if errors:
            raise ValidationError(errors)


class PlannedClosure(models.Model):
    """A closure of one side of a crossing known in advance (works, holidays): no truck passes from ``starts_at`` to
    ``ends_at``."""

    crossing = models.ForeignKey(Crossing, on_delete=models.CASCADE, related_name="planned_closures")
    country = CountryField(_("side (country)"))
    starts_at = models.DateTimeField(_("closed from"))
    ends_at = models.DateTimeField(_("closed until"))
    reason = models.CharField(_("reason"), max_length=200)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("planned closure")
        verbose_name_plural = _("planned closures")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="planned_closure_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.crossing_id} {self.country} {self.starts_at:%Y-%m-%d}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A closure ends after it starts.")
        if self.crossing_id is not None and str(self.country) not in (
            str(self.crossing.country_a),
            str(self.crossing.country_b),
        ):
            errors["country"] = _("Choose one of the crossing's two countries.")
        if errors:
            raise ValidationError(errors)


class Queue(models.Model):
    """One crossing in one direction (``KZ-RU``); trucks only."""

    crossing = models.ForeignKey(Crossing, on_delete=models.CASCADE, related_name="queues")
    from_country = CountryField(_("from"))
    to_country = CountryField(_("to"))

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["crossing__slug", "from_country"]
        constraints = [
            models.UniqueConstraint(fields=["crossing", "from_country", "to_country"], name="queue_unique_direction")
        ]

    @property
    def direction(self) -> str:
        return f"{self.from_country}-{self.to_country}"

    def __str__(self) -> str:
        return f"{self.crossing.slug} {self.direction}"


class ReportKind(models.TextChoices):
    """The kinds of ``queues.domain.kinds.REPORT_KINDS`` with their translated labels (a test keeps them equal)."""

    JOINED = "joined", _("joined")
    POSITION = "position", _("position")
    CROSSED = "crossed", _("crossed")
    LEFT = "left", _("left")


class Visit(models.Model):
    """A driver's stay in one queue: joined → positions → crossed or left."""

    class Status(models.TextChoices):
        OPEN = "open", _("in queue")
        CROSSED = "crossed", _("crossed")
        LEFT = "left", _("left")

    driver = models.ForeignKey("carriers.Driver", on_delete=models.CASCADE, related_name="visits")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="visits")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    joined_at = models.DateTimeField(_("joined at"))
    crossed_at = models.DateTimeField(_("crossed at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report at"))
    # Null until crossed, and for a visit known only from its crossing (no start seen, no count of its own).
    wait_minutes = models.PositiveIntegerField(_("wait (minutes)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("queue visit")
        verbose_name_plural = _("queue visits")
        ordering = ["-joined_at"]
        indexes = [models.Index(fields=["driver", "-joined_at"]), models.Index(fields=["queue", "status"])]


class Report(models.Model):
    """One crowd report, keyed by the UUID the app made, so a resent report is stored once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    driver = models.ForeignKey("carriers.Driver", on_delete=models.CASCADE, related_name="reports")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="reports")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"), db_index=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    waited_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Personal data: cleared after REPORT_LOCATION_RETENTION_HOURS by a periodic task.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # SHA-256 of the canonical content, to tell a resend (duplicate) from a different report (conflict).
    content_hash = models.CharField(max_length=64)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    trusted = models.BooleanField(
        _("trusted"),
        default=True,
        help_text=_(
            "Whether this report counts towards the wait estimates. An operator unticks it for a report that looks "
            "wrong (far from the queue, made up); it stays stored but leaves the estimates alone."
        ),
    )
    # Set once the report was put into its visit, flagged and (``crossed``) recorded as stay events; ingest stores
    # reports unprocessed and ``queues.services.reports.reports_process`` does the rest after commit.
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-observed_at"]
        indexes = [
            models.Index(fields=["queue", "observed_at"]),
            models.Index(fields=["driver", "observed_at"]),
            # Small: only the reports still waiting for processing (the per-driver load and the sweep).
            models.Index(
                fields=["driver", "received_at"],
                condition=Q(processed_at__isnull=True),
                name="report_unprocessed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="report_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lon__isnull=True) | Q(lon__gte=-180, lon__lte=180), name="report_lon_range"
            ),
        ]


class Estimate(models.Model):
    """The current estimate of one queue (one row per queue, upserted by ``estimate_refresh``)."""

    class Confidence(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="estimate")
    wait_minutes = models.PositiveIntegerField()
    low_minutes = models.PositiveIntegerField()
    high_minutes = models.PositiveIntegerField()
    queue_length = models.PositiveIntegerField(null=True, blank=True)
    throughput_per_hour = models.FloatField(null=True, blank=True)
    reports = models.PositiveIntegerField(default=0)
    drivers = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    data_until = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    confidence = models.CharField(max_length=8, choices=Confidence.choices, default=Confidence.LOW)
    # Published only from at least 3 distinct drivers; otherwise the APIs show null.
    published = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        constraints = [
            models.CheckConstraint(condition=Q(low_minutes__lte=F("high_minutes")), name="estimate_interval"),
        ]


class EstimatePoint(models.Model):
    """The estimate history: one point per queue per refresh tick (the partner history and the charts)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="estimate_points")
    at = models.DateTimeField()
    wait_minutes = models.PositiveIntegerField()
    low_minutes = models.PositiveIntegerField()
    high_minutes = models.PositiveIntegerField()
    drivers = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=False)
    # The estimate's pace level (EstimateResult.pace_level_per_hour: trucks an hour, the day/night rhythm taken out):
    # the memory the next refreshes take the queue's normal pace from. Null when the estimator could not tell.
    pace_per_hour = models.FloatField(_("pace level per hour"), null=True, blank=True)
    # The predictors the wait was combined from ({"forecast": minutes, "realised": ..., "day_ago": ...}, see
    # EstimateResult.predictors): later refreshes score each against the waits that trucks joining at this tick
    # realised (docs/estimator.md). Null on points written before it existed.
    predictors = models.JSONField(_("predictors"), null=True, blank=True)

    class Meta:
        verbose_name = _("estimate point")
        verbose_name_plural = _("estimate points")
        ordering = ["queue", "at"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "at"], name="estimate_point_unique_tick"),
            models.CheckConstraint(condition=Q(low_minutes__lte=F("high_minutes")), name="estimate_point_interval"),
        ]
        indexes = [
            # The partner history and the charts read published points of one queue over a time range: a partial
            # index holding just those (covering the read on PostgreSQL, which supports INCLUDE).
            CoveringIndex(
                fields=["queue", "at"],
                covering=["wait_minutes", "low_minutes", "high_minutes", "drivers"],
                condition=Q(published=True),
                name="estimate_point_published",
            ),
            # Retention (``estimate_points_purge``) and cross-queue charts select by time alone.
            models.Index(fields=["at"], name="estimate_point_at"),
        ]


class PartnerKeyManager(BaseAPIKeyManager):
    pass


class PartnerKey(AbstractAPIKey):
    """A logistics firm's API key: hashed, with a visible prefix; revocable."""

    firm = models.CharField(_("firm"), max_length=200)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = PartnerKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")


class AlertSubscription(models.Model):
    """A partner's webhook: call ``url`` when a queue's estimate crosses ``above_minutes`` (up and down)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.ForeignKey(PartnerKey, on_delete=models.CASCADE, related_name="alerts")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="alerts")
    above_minutes = models.PositiveIntegerField()
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    above = models.BooleanField(default=False)  # last state seen, to fire on crossings only
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["queue", "active"]), models.Index(fields=["key", "created_at"])]


class AlertDelivery(models.Model):
    """One webhook call and its attempts (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(AlertSubscription, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # One entry per attempt: {"at", "status_code", "error", "duration_ms"} (the newest ALERT_LOG_KEEP kept).
    attempt_log = models.JSONField(_("attempt log"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
