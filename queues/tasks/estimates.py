"""Thin Celery wrappers around the estimate services (``queues.services.estimates``).

Arguments are keyword-only JSON (ids, ISO 8601 datetimes); ``**kwargs`` lets an older or newer sender add
arguments without breaking a running worker.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.tasks import IDEMPOTENT_DB_TASK
from queues.services import estimates as estimation

__all__ = ["estimate_points_purge", "estimate_refresh", "estimate_sweep"]


def _as_of(value: str | None) -> datetime:
    """``as_of`` from a task argument: an aware ISO datetime, or now (when the task runs) if absent."""
    if not value:
        return timezone.now()
    parsed = parse_datetime(value)
    if parsed is None or timezone.is_naive(parsed):
        raise ValueError(f"as_of must be an ISO 8601 datetime with a UTC offset, not {value!r}")
    return parsed


@shared_task(name="queues.estimate_refresh", **IDEMPOTENT_DB_TASK)
def estimate_refresh(*, queue_id: int, as_of: str | None = None, **kwargs) -> None:
    """Refreshes one queue's estimate; without ``as_of`` it uses the time the task runs (so reports that
    arrived while it waited in the broker count)."""
    estimation.estimate_refresh_pending(queue_id=queue_id, as_of=_as_of(as_of))


@shared_task(
    name="queues.estimate_sweep",
    ignore_result=True,
    # Not acknowledged late: a lost sweep is replaced by the next one a minute later.
    acks_late=False,
    soft_time_limit=30,
    time_limit=45,
)
def estimate_sweep(**kwargs) -> None:
    """Beat, every minute: one ``queues.estimate_refresh`` per queue that needs one."""
    estimation.estimate_sweep(as_of=timezone.now())


@shared_task(
    name="queues.estimate_points_purge",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(OperationalError,),
    max_retries=2,
    retry_backoff=30,
)
def estimate_points_purge(**kwargs) -> None:
    """Beat, daily: drops estimate history older than the retention period."""
    estimation.estimate_points_purge(as_of=timezone.now())
