"""The base class of every Kezek task (Django-aware, with a cap on redeliveries) and the one way to send a task.

Tasks are acknowledged late and requeued when their worker dies (``acks_late`` + ``reject_on_worker_lost``),
so a crash never loses work. A task that itself kills its worker (out of memory, a segfault in a driver)
would then come back forever; after ``CELERY_TASK_MAX_DELIVERIES`` deliveries of one task id it is dropped
and logged instead. Dropping is safe: every task is idempotent and the beat sweep redoes the work.

Requests ask for tasks after their commit, coalesced: one "pending" flag per task, all of a request's flags set in
one cache round trip (:func:`task_send_coalesced_many_on_commit`), and a task sent only by the request that set its
flag.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from celery import Task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import Reject
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction

from core.cache import cache_add_many

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


# --- Sending tasks ---------------------------------------------------------------------------------------------
def task_send(
    task: Task,
    *,
    kwargs: Mapping[str, Any],
    countdown: int | None = None,
    expires: int | None = None,
    failure_message: str,
    log_extra: Mapping[str, Any] | None = None,
) -> bool:
    """Sends ``task`` with ``kwargs``; ``False`` when it could not be sent (or, run in-process, when it failed).

    Never raises: the work a task asks for is stored before it is sent and a beat sweep catches up, so a broker
    that is down is logged as a warning (``failure_message``, with ``log_extra``), not answered as a 500 for data
    that was committed.
    """
    try:
        task.apply_async(kwargs=dict(kwargs), countdown=countdown, expires=expires)
    except Exception:
        logger.warning(failure_message, extra={"task": task.name, **(log_extra or {})}, exc_info=True)
        return False
    return True


def task_send_coalesced(
    task: Task,
    *,
    pending_key: str,
    pending_ttl: int,
    kwargs: Mapping[str, Any],
    countdown: int,
    failure_message: str,
    log_extra: Mapping[str, Any] | None = None,
) -> bool:
    """Sends ``task`` unless one is already pending under ``pending_key``; returns whether it sent one.

    The pending flag (a cache entry that expires on its own after ``pending_ttl`` seconds, so a lost task only
    delays the work) is set here and cleared by the task when it starts; with a ``countdown`` a burst of requests
    becomes one task that sees them all. A send that fails clears the flag, so the next request tries again.
    """
    if not cache.add(pending_key, 1, timeout=pending_ttl):
        return False  # a task is already on its way and will see this work
    sent = task_send(task, kwargs=kwargs, countdown=countdown, failure_message=failure_message, log_extra=log_extra)
    if not sent:
        cache.delete(pending_key)
    return sent


def task_send_on_commit(
    task: Task,
    *,
    kwargs: Mapping[str, Any],
    failure_message: str,
    log_extra: Mapping[str, Any] | None = None,
) -> None:
    """Sends ``task`` once the current transaction commits (nothing if it rolls back); see :func:`task_send`."""
    transaction.on_commit(
        partial(task_send, task, kwargs=kwargs, failure_message=failure_message, log_extra=log_extra), robust=True
    )


@dataclass(frozen=True, slots=True)
class CoalescedSend:
    """A task to send with ``kwargs`` unless one is already pending under ``pending_key`` (see
    :func:`task_send_coalesced`)."""

    task: Task
    pending_key: str
    pending_ttl: int
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    countdown: int = 0
    failure_message: str = "task not sent; the sweep will catch up"


def task_send_coalesced_many(sends: Sequence[CoalescedSend]) -> int:
    """Sets the pending flags of all ``sends`` in one cache round trip and sends the tasks whose flag was not set
    yet; a task that could not be sent clears its flag, so the next request tries again. Returns how many were sent.
    Never raises because of the broker (:func:`task_send` logs), nor of the cache (with it down nothing is sent: the
    sweeps catch up)."""
    if not sends:
        return 0
    added = cache_add_many({item.pending_key: item.pending_ttl for item in sends})
    sent = 0
    for item in sends:
        if item.pending_key not in added:
            continue  # a task is already on its way and will see this work
        if task_send(
            item.task,
            kwargs=item.kwargs,
            countdown=item.countdown,
            failure_message=item.failure_message,
            log_extra=item.kwargs,
        ):
            sent += 1
        else:
            cache.delete(item.pending_key)
    return sent


def task_send_coalesced_many_on_commit(sends: Sequence[CoalescedSend]) -> None:
    """Once the current transaction commits, :func:`task_send_coalesced_many` (one commit callback, one cache round
    trip for all the flags; nothing if it rolls back)."""
    if sends:
        transaction.on_commit(partial(task_send_coalesced_many, list(sends)), robust=True)


def task_send_coalesced_on_commit(
    task: Task,
    *,
    requests: Iterable[tuple[str, Mapping[str, Any]]],
    pending_ttl: int,
    countdown: int,
    failure_message: str,
) -> None:
    """Once the current transaction commits, sends ``task`` for each ``(pending_key, kwargs)`` request that has no
    task pending yet (see :func:`task_send_coalesced`); one commit callback and one cache round trip for them all."""
    task_send_coalesced_many_on_commit(
        [
            CoalescedSend(
                task=task,
                pending_key=key,
                pending_ttl=pending_ttl,
                kwargs=dict(kwargs),
                countdown=countdown,
                failure_message=failure_message,
            )
            for key, kwargs in requests
        ]
    )
