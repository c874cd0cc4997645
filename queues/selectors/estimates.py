"""Reads for estimates: the samples, pace memory and track a refresh feeds the estimator, the queues the sweep
refreshes, and the history tick an estimate is filed under."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from queues.domain.estimator import (
    SAMPLE_WINDOW,
    TRACK_MEMORY,
    Sample,
    TrackPoint,
    pace_history_hourly,
    pace_memory_start,
    sample_from_report,
)
from queues.models import Estimate, EstimatePoint, Queue, Report

# One history point per queue per tick. The partner history's finest interval is 15 minutes, the sweep runs every
# minute: 5 minutes gives three points per finest bucket at a fifth of the rows of minute ticks. The point at T
# holds the newest estimate computed in [T, T + 5 min).
POINT_TICK = timedelta(minutes=5)


def estimate_tick(as_of: datetime) -> datetime:
    """The history tick ``as_of`` falls in: UTC, floored to ``POINT_TICK`` (5 minutes)."""
    as_of = as_of.astimezone(UTC)
    step = int(POINT_TICK.total_seconds())
    epoch_seconds = int(as_of.timestamp())
    return datetime.fromtimestamp(epoch_seconds - epoch_seconds % step, tz=UTC)


def _usable_reports(*, as_of: datetime) -> QuerySet[Report]:
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
