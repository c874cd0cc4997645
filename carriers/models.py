"""Carriers, their drivers and dispatchers, phone sign-in codes, devices and notifications."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def generate_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(10))


class Language(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")
    KK = "kk", _("Kazakh")


class Carrier(models.Model):
    name = models.CharField(_("name"), max_length=200)
    invite_code = models.CharField(_("invite code"), max_length=16, unique=True, default=generate_invite_code)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Driver(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="driver"
    )
    phone = PhoneNumberField(_("phone"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    citizenship = CountryField(_("citizenship"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=20, blank=True)
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drivers",
    )
    # An operator can mark a driver untrusted: their reports stay stored but are kept out of estimates.
    trusted = models.BooleanField(
        _("trusted"),
        default=True,
        help_text=_(
            "Whether this driver's queue reports count towards the wait estimates. Untick it when a driver's reports "
            "look wrong (far from the queue, made up): they are still stored, but leave the estimates alone. It says "
            "nothing about the driver's stay or their work."
        ),
    )
    # Reporter reliability learnt by the estimator (agreement of past reports with what happened later).
    reliability = models.FloatField(
        _("reliability"),
        default=1.0,
        help_text=_(
            "How well this driver's past queue reports matched what happened, from 0 (never) to 1 (always); "
            "learnt automatically. Reports of a more reliable driver weigh more in the wait estimates."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ["name", "phone"]

    def __str__(self) -> str:
        return self.name or str(self.phone)


class Dispatcher(models.Model):
    """A staff user who works for one carrier and sees only that carrier in the admin."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispatcher")
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="dispatchers")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)

    class Meta:
        verbose_name = _("dispatcher")
        verbose_name_plural = _("dispatchers")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.carrier})"


class OneTimeCode(models.Model):
    """A sign-in code sent by SMS. Only its hash is stored; it is single-use and dies after 5 wrong tries."""

    phone = PhoneNumberField(db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # The language the SMS was written in: a driver created by this code speaks it unless the sign-in names one.
    language = models.CharField(max_length=2, choices=Language.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"])]


class Device(models.Model):
    """One signed-in device of a driver; its knox token dies with it (logout, revocation)."""

    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="devices")
    auth_token = models.OneToOneField(settings.KNOX_TOKEN_MODEL, on_delete=models.CASCADE, related_name="device")
    name = models.CharField(_("device"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Written with the token's sliding expiry (at most once per knox MIN_REFRESH_INTERVAL): right to the hour.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")


class Notification(models.Model):
    """A message to a driver or to a carrier's dispatchers (stay risk rises, queue thresholds).

    ``dedupe_key`` is unique: the same event notified twice (a job run twice, two workers racing) is
    stored once.
    """

    class Audience(models.TextChoices):
        DRIVER = "driver", _("driver")
        DISPATCHER = "dispatcher", _("dispatcher")

    audience = models.CharField(max_length=16, choices=Audience.choices)
    driver = models.ForeignKey(Driver, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    carrier = models.ForeignKey(Carrier, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32)
    level = models.CharField(_("level"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # A stay alert stands while the driver's status says so; once it does not, it is resolved: when, and why (a
    # code of stays.alerts). Other notifications are always active.
    active = models.BooleanField(_("active"), default=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="driver", driver__isnull=False) | Q(audience="dispatcher", carrier__isnull=False),
                name="notification_has_recipient",
            )
        ]

    def __str__(self) -> str:
        return self.title
