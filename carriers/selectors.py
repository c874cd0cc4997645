"""Reads for carriers and drivers."""

from __future__ import annotations

from django.db.models import QuerySet

from carriers.domain import invite_code_normalize
from carriers.models import Carrier, Device, Driver, Notification


def driver_get_for_user(*, user) -> Driver:
    """The signed-in user's driver with its carrier: the one authentication loaded (no query), else one query."""
    if type(user).driver.is_cached(user):
        driver = user.driver
        if Driver.carrier.is_cached(driver):
            return driver
    return Driver.objects.select_related("carrier").get(user_id=user.pk)


def carrier_get_by_invite_code(*, invite_code: str) -> Carrier | None:
    """The carrier that issued ``invite_code`` (as typed: case, spaces and dashes ignored), or None."""
    normalized = invite_code_normalize(invite_code)
    return Carrier.objects.filter(invite_code=normalized).first() if normalized else None


def notification_list(*, driver: Driver) -> QuerySet[Notification]:
    """The driver's own notifications, newest first."""
    return Notification.objects.filter(audience=Notification.Audience.DRIVER, driver=driver)


def device_list(*, driver: Driver) -> QuerySet[Device]:
    """The driver's signed-in devices (each has a live token), newest first."""
    return Device.objects.filter(driver=driver).order_by("-created_at", "-pk")
