"""Thin Celery wrappers."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from queues.services.alerts import alert_deliveries_due, alert_delivery_attempt

__all__ = ["alert_deliver", "alert_deliveries_sweep"]


# Not acks_late: an attempt that died half-way may already have reached the receiver; the sweep retries it
# after the claim lease instead, and receivers deduplicate on X-Kezek-Delivery.
@shared_task(name="queues.alert_deliver", ignore_result=True, acks_late=False, soft_time_limit=30, time_limit=45)
def alert_deliver(*, delivery_id: str, **kwargs) -> str:
    """One attempt at one webhook delivery."""
    return alert_delivery_attempt(delivery_id=delivery_id, as_of=timezone.now())


@shared_task(name="queues.alert_deliveries_sweep", ignore_result=True, soft_time_limit=60, time_limit=90)
def alert_deliveries_sweep(**kwargs) -> int:
    """Fans out every due delivery (first attempts whose task was lost, and retries after backoff)."""
    due = alert_deliveries_due(as_of=timezone.now())
    for delivery_id in due:
        alert_deliver.delay(delivery_id=delivery_id)
    return len(due)
