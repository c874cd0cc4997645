"""Estimate services: refresh a queue's estimate from its reports, the sweep, and the shared payload.

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
from datetime import UTC, datetime, timedelta
from functools import partial

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from core.tasks import task_send, task_send_coalesced_on_commit
from queues import partner_cache
from queues.domain.estimator import (
    SAMPLE_WINDOW,
    TRACK_MEMORY,
    QueueParams,
    Sample,
    TrackPoint,
    estimate_wait,
    normal_pace,
    pace_history_hourly,
    pace_memory_start,
    sample_from_report,
)
from queues.models import Estimate, EstimatePoint, Queue, Report
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
# One history point per queue per tick. The partner history's finest interval is 15 minutes, the sweep runs every
# minute: 5 minutes gives three points per finest bucket at a fifth of the rows of minute ticks. The point at T
# holds the newest estimate computed in [T, T + 5 min).
POINT_TICK = timedelta(minutes=5)
# History is kept for 400 days (a year plus a month, for year-on-year charts); ``estimate_points_purge`` runs daily.
HISTORY_RETENTION = timedelta(days=400)


def estimate_refresh_pending_key(queue_id: int) -> str:
    """The cache key of the queue's "refresh pending" flag. It names the database too: one Redis may serve several
    databases (staging beside production, parallel test runs), whose queue ids coincide."""
    return f"estimate-refresh-pending:{connection.settings_dict['NAME']}:{queue_id}"


def estimate_tick(as_of: datetime) -> datetime:
    """The history tick ``as_of`` falls in: UTC, floored to ``POINT_TICK`` (5 minutes)."""
    as_of = as_of.astimezone(UTC)
    step = int(POINT_TICK.total_seconds())
    epoch_seconds = int(as_of.timestamp())
    return datetime.fromtimestamp(epoch_seconds - epoch_seconds % step, tz=UTC)


# --- Selectors ------------------------------------------------------------------------------------------------------


def _usable_reports(*, as_of: datetime):
    """Reports the estimator may use at ``as_of``: trusted reports of trusted drivers, received by ``as_of``,
    observed within ``SAMPLE_WINDOW`` before it (the estimator ignores later observations itself).

    Reports not yet processed after ingest (``processed_at`` empty: no visit and no plausibility flags yet) count
    too: a refresh never waits for processing, and the estimator is robust to the odd outlier; processing asks
    for another refresh when it flags a report, so the flags reach the estimate shortly after."""
    return Report.objects.filter(
        trusted=True,
        driver__trusted=True,
        observed_at__gte=as_of - SAMPLE_WINDOW,
        received_at__lte=as_of,
    )


def estimate_samples_list(*, queue_id: int, as_of: datetime) -> list[Sample]:
    """The queue's reports the estimator sees at ``as_of``, as samples (one query, oldest observation first).

    The weight is the reporter's learnt reliability; ingest flags mark a sample as suspect (down-weighted by the
    estimator).
    """
    rows = (
        _usable_reports(as_of=as_of)
        .filter(queue_id=queue_id)
        .order_by("observed_at", "received_at")
        .values_list(
            "driver_id",
            "kind",
            "observed_at",
            "received_at",
            "position",
            "distance_m",
            "waited_minutes",
            "flags",
            "driver__reliability",
        )
    )
    return [
        sample_from_report(
            driver_id=driver_id,
            kind=kind,
            observed_at=observed_at,
            received_at=received_at,
            position=position,
            distance_m=distance_m,
            waited_minutes=waited_minutes,
            weight=reliability,
            flags=flags or (),
        )
        for (
            driver_id,
            kind,
            observed_at,
            received_at,
            position,
            distance_m,
            waited_minutes,
            flags,
            reliability,
        ) in rows.iterator(chunk_size=2000)
    ]


def estimate_pace_history_list(*, queue_id: int, as_of: datetime) -> list[float]:
    """The queue's hourly pace memory at ``as_of``, what ``normal_pace`` takes: the first stored pace level of each
    UTC hour of the past ``NORMAL_MEMORY`` (``pace_history_hourly``, as replay builds it).

    Read as of ``as_of``'s history tick: the point of that tick is the one this refresh is about to write (or an
    earlier refresh of the same tick wrote), so it is not part of the memory. One query on the unique
    ``(queue, at)`` index: at most 2,016 rows of two columns (a week of 5-minute ticks).
    """
    tick = estimate_tick(as_of)
    rows = (
        EstimatePoint.objects.filter(
            queue_id=queue_id, at__gte=pace_memory_start(tick), at__lt=tick, pace_per_hour__isnull=False
        )
        .order_by("at")
        .values_list("at", "pace_per_hour")
    )
    return pace_history_hourly(rows, as_of=tick)


def estimate_track_list(*, queue_id: int, as_of: datetime) -> tuple[TrackPoint, ...]:
    """The queue's own estimates of the past ``TRACK_MEMORY`` before ``as_of``'s history tick, oldest first: what
    the estimator scores realised waits against and moves on from (``QueueParams.track``; replay keeps the same
    from its results). One query on the unique ``(queue, at)`` index: at most 864 rows (3 days of 5-minute ticks).
    """
    tick = estimate_tick(as_of)
    rows = (
        EstimatePoint.objects.filter(queue_id=queue_id, at__gte=tick - TRACK_MEMORY, at__lt=tick)
        .order_by("at")
        .values_list("at", "wait_minutes", "predictors")
    )
    return tuple(TrackPoint(at=at, wait_minutes=wait, predictors=predictors or {}) for at, wait, predictors in rows)


def estimate_queue_ids_due(*, as_of: datetime) -> list[int]:
    """Queues the sweep refreshes: those with usable reports in the window, and those still showing an estimate
    (published or not yet stale) that must go stale once its reports have aged out.

    One query: an ``EXISTS`` probe per queue on the (queue, observed_at) index, not a scan of all reports.
    """
    reported = _usable_reports(as_of=as_of).filter(queue_id=OuterRef("pk"))
    showing = Estimate.objects.filter(Q(published=True) | Q(stale=False), queue_id=OuterRef("pk"))
    return list(Queue.objects.filter(Exists(reported) | Exists(showing)).order_by("pk").values_list("pk", flat=True))


# --- Services -------------------------------------------------------------------------------------------------------


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
        transaction.on_commit(partial(partner_cache.partner_estimate_refresh, queue_id=queue.pk), robust=True)
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
    from queues.tasks.estimates import estimate_refresh as estimate_refresh_task

    ids = sorted({int(queue_id) for queue_id in queue_ids})
    task_send_coalesced_on_commit(
        estimate_refresh_task,
        requests=[(estimate_refresh_pending_key(queue_id), {"queue_id": queue_id}) for queue_id in ids],
        pending_ttl=REFRESH_PENDING_TTL_SECONDS,
        countdown=REFRESH_COALESCE_SECONDS,
        failure_message=_REFRESH_NOT_SENT,
    )


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
