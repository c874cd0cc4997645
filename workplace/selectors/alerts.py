"""Reads for the alerts inbox: the dispatchers' notifications, cut by the caller to the user's carrier."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from carriers.models import Driver, Notification
from stays.models import StayStatusSnapshot
from workplace.alerts import AlertFacts


def dispatcher_notification_list(
    *, notifications: QuerySet[Notification], unread_only: bool = False
) -> QuerySet[Notification]:
    """Dispatcher notifications among ``notifications``, newest first, with driver and carrier joined in."""
    queryset = notifications.filter(audience=Notification.Audience.DISPATCHER)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.select_related("driver", "carrier").order_by("-created_at", "-id")


def dispatcher_notification_unread_count(*, notifications: QuerySet[Notification]) -> int:
    return notifications.filter(audience=Notification.Audience.DISPATCHER, read_at__isnull=True).count()


def dispatcher_alert_facts(
    *, notifications: Iterable[Notification]
) -> list[tuple[Notification, AlertFacts, int | None]]:
    """Each of ``notifications`` (a page of the inbox) with what the inbox renders it from, and the id of its
    driver when that driver is still with the notification's carrier (else None: another carrier's driver is
    never named, linked or read). Two queries: the drivers and their current stay status."""
    notifications = list(notifications)
    wanted = {_data_driver_id(notification) for notification in notifications} - {None}
    drivers = {
        driver.pk: driver for driver in Driver.objects.filter(pk__in=wanted).only("pk", "name", "phone", "carrier_id")
    }
    risks = {
        (snapshot["driver_id"], str(snapshot["country"])): snapshot["risk"]
        for snapshot in StayStatusSnapshot.objects.filter(driver_id__in=list(drivers)).values(
            "driver_id", "country", "risk"
        )
    }
    result = []
    for notification in notifications:
        driver = drivers.get(_data_driver_id(notification))
        if driver is not None and driver.carrier_id != notification.carrier_id:
            driver = None
        data = notification.data if isinstance(notification.data, dict) else {}
        facts = AlertFacts(
            kind=notification.kind if driver is not None else "",
            title=notification.title,
            body=notification.body,
            data=data,
            created_at=notification.created_at,
            driver_name=str(driver) if driver is not None else "",
            current_risk=risks.get((driver.pk, str(data.get("country") or "").upper())) if driver else None,
            active=notification.active,
            resolved_at=notification.resolved_at,
            resolution=notification.resolution,
        )
        result.append((notification, facts, driver.pk if driver is not None else None))
    return result


def _data_driver_id(notification: Notification) -> int | None:
    if notification.driver_id:
        return notification.driver_id
    data = notification.data if isinstance(notification.data, dict) else {}
    value = data.get("driver_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
