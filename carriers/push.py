"""Push backends: hand a stored notification to the phones of its audience.

``settings.PUSH_BACKEND`` names the class: ``carriers.push.LoggingPushBackend`` (default: writes a log line),
``carriers.push.LocmemPushBackend`` (tests: keeps what was sent in memory), or a provider's backend with the
same ``send(notification)`` method. Notifications are stored first; pushing is best effort and never undoes
or blocks the stored notification.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from carriers.models import Notification

logger = logging.getLogger(__name__)


class BasePushBackend:
    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class LoggingPushBackend(BasePushBackend):
    """Writes one log line per notification (development, and until a push provider is chosen)."""

    def send(self, notification: Notification) -> None:
        logger.info(
            "push notification",
            extra={
                "notification_id": notification.pk,
                "audience": notification.audience,
                "driver_id": notification.driver_id,
                "carrier_id": notification.carrier_id,
                "kind": notification.kind,
                "level": notification.level,
            },
        )


class LocmemPushBackend(BasePushBackend):
    """Keeps sent notifications in ``LocmemPushBackend.outbox`` (tests clear it)."""

    outbox: ClassVar[list[Notification]] = []

    def send(self, notification: Notification) -> None:
        type(self).outbox.append(notification)


def get_push_backend() -> BasePushBackend:
    return import_string(settings.PUSH_BACKEND)()


def notification_push(*, notification: Notification) -> None:
    """Hands ``notification`` to the configured backend; a failing backend is logged, never raised."""
    try:
        get_push_backend().send(notification)
    except Exception:
        logger.exception("push backend failed", extra={"notification_id": notification.pk})
