"""Estimate services: refresh a queue's estimate from its reports (read by queues.selectors.estimates), the sweep.

How a refresh comes about:

- Report ingest calls :func:`estimate_refresh_request` inside its transaction. After commit it sends one
  ``queues.estimate_refresh`` task per touched queue, coalesced: the first report of a burst sets a short-lived
  "pending" flag in the cache and sends the task with a countdown of ``REFRESH_COALESCE_SECONDS``; the rest of the
  burst finds the flag set and sends nothing. The task clears the flag *before* it reads the reports, so reports
  that arrive while it computes ask for one more refresh. A request never fails because of the broker: a publish
  error is logged and the beat sweep catches up.
- The beat runs ``queues.estimate_sweep`` every minute (the safety net): one refresh task per queue that has
  reports in the estimator's window or still shows an estimate that must go stale.
- Without ``REDIS_URL`` tasks run in-process (eager), so the refresh happens synchronously right after the
  ingest commits; a failure there is logged and never reaches the request.

:func:`estimate_refresh` holds a row lock on the ``Queue`` (``SELECT ... FOR UPDATE``; SQLite serialises writers
anyway), so two workers never interleave on one queue, and it never replaces a newer estimate with an older one.
The lock is ``FOR NO KEY UPDATE``, so report ingest into the queue never waits for a refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from django.core.cache import cache
from django.db import connection, transaction

from core.tasks import CoalescedSend, task_send, task_send_coalesced_many_on_commit
from queues import answers as crossing_answers
from queues.catalogue import crossing_queue_schedule
from queues.domain.estimator import (
    QueueParams,
    estimate_wait,
    normal_pace,
)
from queues.models import Estimate, EstimatePoint, Queue
from queues.selectors.estimates import (
    estimate_pace_history_list,
    estimate_queue_ids_due,
    estimate_samples_list,
    estimate_tick,
    estimate_track_list,
)
from queues.services import alerts

logger = logging.getLogger(__name__)

# The first report of a burst asks for a refresh this many seconds later; the rest of the burst rides along.
REFRESH_COALESCE_SECONDS = 3
# Lifetime of the "refresh pending" flag. It outlives the countdown by a wide margin, and it expires on its own,
# so a lost task (worker killed before it cleared the flag) delays request-driven refreshes by at most this long;
# the minute sweep refreshes such a queue regardless of the flag.
REFRESH_PENDING_TTL_SECONDS = 60
# Refresh tasks sent by the sweep expire if no worker took them within this long: the next sweep sends fresh ones,
# so a backlog after an outage does not replay every missed minute.
SWEEP_TASK_EXPIRES_SECONDS = 120
# History is kept for 400 days (a year plus a month, for year-on-year charts); ``estimate_points_purge`` runs daily.
HISTORY_RETENTION = timedelta(days=400)


def estimate_refresh_pending_key(queue_id: int) -> str:
    """The cache key of the queue's "refresh pending" flag. It names the database too: one Redis may serve several
    databases (staging beside production, parallel test runs), whose queue ids coincide."""
    return f"estimate-refresh-pending:{connection.settings_dict['NAME']}:{queue_id}"


def estimate_refresh(*, queue_id: int, as_of: datetime) -> Estimate | None:
    """Recomputes the queue's estimate from the reports known at ``as_of`` and stores it.

    The estimator is given the queue's normal pace (``normal_pace`` over the pace levels of the past week's history
    points, :func:`estimate_pace_history_list`), the same memory ``replay_reports`` keeps; with less than
    ``NORMAL_MIN_POINTS`` hours of history (a new queue) it falls back to the past day's pace.

    Upserts the queue's ``Estimate`` (``published`` when the estimator says it is publishable) and the history
    point of ``as_of``'s 5-minute tick (with the pace level, the memory of later refreshes), so running it twice
    for the same ``as_of`` changes nothing. When no usable report is left in the window, the last estimate is kept
    for the record but marked stale and unpublished.
    Holds the queue's row lock for the whole computation, so concurrent refreshes of one queue run one after the
    other; an ``as_of`` older than the stored estimate's ``computed_at`` leaves it alone (a delayed task never
    rolls an estimate back). Alerts are evaluated inside the same transaction, under the same lock, so two
    refreshes cannot both see the same threshold crossing; an error there is logged and does not lose the estimate.

    Returns the stored estimate, or ``None`` when the queue has none (or no longer exists).
    """
    with transaction.atomic():
        # FOR NO KEY UPDATE: it serialises refreshes of this queue but, unlike FOR UPDATE, does not block the
        # inserts of reports and visits that reference the queue (they take FOR KEY SHARE) while the estimator runs.
        queue = (
            Queue.objects.select_for_update(of=("self",), no_key=True)
            .select_related("crossing")
            .filter(pk=queue_id)
            .first()
        )
        if queue is None:
            logger.info("estimate refresh of a queue that no longer exists", extra={"queue_id": queue_id})
            return None
        current = Estimate.objects.filter(queue=queue).first()
        if current is not None and current.computed_at > as_of:
            return current

        result = estimate_wait(
            samples=estimate_samples_list(queue_id=queue.pk, as_of=as_of),
            as_of=as_of,
            queue=QueueParams(
                vehicle_spacing_m=queue.crossing.vehicle_spacing_m,
                normal_per_hour=normal_pace(history=estimate_pace_history_list(queue_id=queue.pk, as_of=as_of)),
                track=estimate_track_list(queue_id=queue.pk, as_of=as_of),
                schedule=crossing_queue_schedule(crossing=queue.crossing, from_country=str(queue.from_country)),
            ),
        )
        if result is None:
            if current is None:
                return None
            if current.published or not current.stale:
                current.published = False
                current.stale = True
                current.save(update_fields=["published", "stale"])
            estimate = current
        else:
            estimate, _ = Estimate.objects.update_or_create(
                queue=queue,
                defaults={
                    "wait_minutes": result.wait_minutes,
                    "low_minutes": result.low_minutes,
                    "high_minutes": result.high_minutes,
                    "queue_length": result.queue_length,
                    "throughput_per_hour": result.throughput_per_hour,
                    "reports": result.reports,
                    "drivers": result.drivers,
                    "computed_at": result.computed_at,
                    "data_until": result.data_until,
                    "stale": result.stale,
                    "confidence": result.confidence,
                    "published": result.publishable,
                },
            )
            EstimatePoint.objects.update_or_create(
                queue=queue,
                at=estimate_tick(as_of),
                defaults={
                    "wait_minutes": result.wait_minutes,
                    "low_minutes": result.low_minutes,
                    "high_minutes": result.high_minutes,
                    "drivers": result.drivers,
                    "published": result.publishable,
                    "pace_per_hour": result.pace_level_per_hour,
                    "predictors": dict(result.predictors),
                },
            )
        _alerts_evaluate_safely(queue_id=queue.pk, estimate=estimate, as_of=as_of)
        transaction.on_commit(partial(crossing_answers.partner_estimate_refresh, queue_id=queue.pk), robust=True)
    return estimate


def _alerts_evaluate_safely(*, queue_id: int, estimate: Estimate, as_of: datetime) -> None:
    # A savepoint: a failing alert evaluation rolls back its own writes only, never the estimate.
    try:
        with transaction.atomic():
            alerts.alerts_evaluate(queue_id=queue_id, estimate=estimate, as_of=as_of)
    except Exception:
        logger.exception("alert evaluation failed", extra={"queue_id": queue_id})


def estimate_refresh_pending(*, queue_id: int, as_of: datetime) -> Estimate | None:
    """Runs a requested refresh: clears the queue's pending flag first, so that reports arriving while this one
    computes ask for another refresh, then :func:`estimate_refresh`."""
    cache.delete(estimate_refresh_pending_key(queue_id))
    return estimate_refresh(queue_id=queue_id, as_of=as_of)


@contextmanager
def estimate_refresh_requests_held(*, queue_id: int, seconds: int = 3600) -> Iterator[None]:
    """While open (at most ``seconds``), report ingest asks for no refresh of this queue: for a caller that
    refreshes it itself, e.g. tick by tick while loading a history."""
    key = estimate_refresh_pending_key(queue_id)
    cache.set(key, 1, timeout=seconds)
    try:
        yield
    finally:
        cache.delete(key)


def estimate_refresh_request(*, queue_ids: Iterable[int]) -> None:
    """Asks for the estimates of these queues to be refreshed after the current transaction commits.

    Called by report ingest inside its transaction. Coalesced: a burst of reports on one queue becomes
    one refresh task, not one per report. Never raises because of the broker (see the module docstring).
    """
    task_send_coalesced_many_on_commit(estimate_refresh_sends(queue_ids=queue_ids))


def estimate_refresh_sends(*, queue_ids: Iterable[int]) -> list[CoalescedSend]:
    """The coalesced refresh tasks of these queues, for :func:`core.tasks.task_send_coalesced_many_on_commit` (which
    a caller with other tasks to ask for sends together with its own: one cache round trip for all the flags)."""
    from queues.tasks.estimates import estimate_refresh as estimate_refresh_task

    return [
        CoalescedSend(
            task=estimate_refresh_task,
            pending_key=estimate_refresh_pending_key(queue_id),
            pending_ttl=REFRESH_PENDING_TTL_SECONDS,
            kwargs={"queue_id": queue_id},
            countdown=REFRESH_COALESCE_SECONDS,
            failure_message=_REFRESH_NOT_SENT,
        )
        for queue_id in sorted({int(queue_id) for queue_id in queue_ids})
    ]


# Broker unreachable (or, in-process, the refresh itself failed): the report is stored all the same, and the
# beat sweep refreshes this queue within a minute of the broker coming back.
_REFRESH_NOT_SENT = "estimate refresh not sent; the sweep will catch up"


def _refresh_send(*, queue_id: int, as_of: datetime, expires: int) -> bool:
    """Sends one refresh task for the sweep's ``as_of``; ``False`` (logged) when it could not be sent."""
    from queues.tasks.estimates import estimate_refresh as estimate_refresh_task

    return task_send(
        estimate_refresh_task,
        kwargs={"queue_id": queue_id, "as_of": as_of.isoformat()},
        countdown=0,
        expires=expires,
        failure_message=_REFRESH_NOT_SENT,
        log_extra={"queue_id": queue_id},
    )


def estimate_sweep(*, as_of: datetime) -> int:
    """The safety net run by beat every minute: sends one refresh task per queue that needs one (by id, each its
    own task, all for the sweep's ``as_of``). Returns how many were sent."""
    sent = 0
    for queue_id in estimate_queue_ids_due(as_of=as_of):
        sent += _refresh_send(queue_id=queue_id, as_of=as_of, expires=SWEEP_TASK_EXPIRES_SECONDS)
    return sent


def estimate_points_purge(*, as_of: datetime) -> int:
    """Deletes history points older than ``HISTORY_RETENTION`` (400 days). Returns how many."""
    deleted, _ = EstimatePoint.objects.filter(at__lt=as_of - HISTORY_RETENTION).delete()
    return deleted
