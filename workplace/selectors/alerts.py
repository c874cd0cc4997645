"""Reads for the alerts inbox: the dispatchers' notifications, cut by the caller to the user's carrier."""

from __future__ import annotations

from django.db.models import QuerySet

from carriers.models import Notification


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
