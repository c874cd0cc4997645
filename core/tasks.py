"""The base class of every Kezek task: Django-aware, with a cap on redeliveries.

Tasks are acknowledged late and requeued when their worker dies (``acks_late`` + ``reject_on_worker_lost``),
so a crash never loses work. A task that itself kills its worker (out of memory, a segfault in a driver)
would then come back forever; after ``CELERY_TASK_MAX_DELIVERIES`` deliveries of one task id it is dropped
and logged instead. Dropping is safe: every task is idempotent and the beat sweep redoes the work.
"""

from __future__ import annotations

import logging

from celery.contrib.django.task import DjangoTask
from celery.exceptions import Reject
from django.conf import settings
from django.db import OperationalError

logger = logging.getLogger(__name__)

_DELIVERY_KEY = "kezek:task-deliveries:{task_id}"

# Options of a short, idempotent database task (refresh an estimate, process a driver's reports): acknowledged only
# once done, so redelivered if its worker dies; only transient database errors (connection lost, deadlock, lock
# timeout) are retried, twice (about 2 s, 4 s): a retry keeps the task id and counts against
# CELERY_TASK_MAX_DELIVERIES (3); past that the minute sweeps take over.
IDEMPOTENT_DB_TASK = {
    "ignore_result": True,
    "acks_late": True,
    "soft_time_limit": 60,
    "time_limit": 90,
    "autoretry_for": (OperationalError,),
    "max_retries": 2,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}
_client = None


def _redis():
    global _client  # one client per process, made on first use
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    return _client


def task_delivery_count(task_id: str) -> int:
    """Counts this delivery of ``task_id`` and returns how many there have been (0 when it cannot count)."""
    if not settings.REDIS_URL or not task_id:
        return 0
    import redis

    key = _DELIVERY_KEY.format(task_id=task_id)
    ttl = int(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 600)) * 4 + 3600
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl)
        count, _ = pipe.execute()
    except redis.RedisError:
        return 0  # cannot count: run it (the cap is a safety net, not a gate)
    return int(count)


class KezekTask(DjangoTask):
    def __call__(self, *args, **kwargs):
        request = self.request
        if not request.called_directly and not request.is_eager:
            limit = settings.CELERY_TASK_MAX_DELIVERIES
            deliveries = task_delivery_count(request.id)
            if limit and deliveries > limit:
                logger.error(
                    "task dropped after %d deliveries: %s",
                    deliveries - 1,
                    self.name,
                    extra={"task": self.name},
                )
                raise Reject(f"delivered {deliveries} times", requeue=False)
        return super().__call__(*args, **kwargs)
