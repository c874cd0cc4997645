"""Reads for the crossings dashboard: every queue's current estimate and its hourly published history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Max
from django.db.models.functions import TruncHour

from queues.catalogue import crossing_time_zone
from queues.models import Estimate, EstimatePoint, Queue
from queues.selectors.accuracy import queues_accuracy_map


@dataclass(frozen=True)
class HistoryPoint:
    """One hour of a queue's published estimate history: averages of the ticks in that hour."""

    at: datetime
    wait_minutes: float
    low_minutes: float
    high_minutes: float
    drivers: int


@dataclass(frozen=True)
class QueueDashboardRow:
    queue_id: int
    crossing_slug: str
    crossing_name: str
    crossing_name_ru: str
    crossing_name_kk: str
    direction: str
    estimate: Estimate | None
    history: list[HistoryPoint]
    lat: float = 0.0
    lon: float = 0.0
    countries: tuple[str, str] = ("", "")
    # The IANA zone of the side the queue stands on (the country being left): its chart reads in that time.
    time_zone: str = "UTC"
    accuracy: QueueAccuracy | None = None

    @property
    def published(self) -> bool:
        return bool(self.estimate is not None and self.estimate.published)


@dataclass(frozen=True)
class AccuracyWindow:
    """How right a queue's published estimates were over the last ``days`` days: ``samples`` trucks whose realised
    wait could be scored, the mean absolute error and the share of them inside the 80% range (both None below
    ``queues.domain.accuracy.MIN_SAMPLES``)."""

    days: int
    samples: int
    mae_minutes: float | None
    interval_hit: float | None


@dataclass(frozen=True)
class QueueAccuracy:
    """A queue's live accuracy over the last 7 and 30 days (the partner API's ``/accuracy`` windows)."""

    windows: tuple[AccuracyWindow, ...]

    @property
    def measured(self) -> bool:
        """Whether any realised wait was scored in the longest window."""
        return any(window.samples for window in self.windows)


def queue_accuracy_map(*, queue_ids: list[int], as_of: datetime) -> dict[int, QueueAccuracy]:
    """Live accuracy per queue: its published estimates scored against the waits trucks reported when they
    crossed (``queues.selectors.accuracy``). Two queries whatever the number of queues."""
    return {
        queue_id: QueueAccuracy(windows=tuple(AccuracyWindow(**window) for window in windows))
        for queue_id, windows in queues_accuracy_map(queue_ids=queue_ids, as_of=as_of).items()
    }


def queue_dashboard_list(
    *, as_of: datetime, hours: int = 72, crossing_slug: str | None = None
) -> list[QueueDashboardRow]:
    """Every queue of an active crossing (or of one crossing) with its current estimate and its hourly
    published history over the ``hours`` before ``as_of``, and the live accuracy of the published ones. Four
    queries whatever the number of queues."""
    queues = Queue.objects.filter(crossing__active=True).select_related("crossing", "estimate")
    if crossing_slug:
        queues = queues.filter(crossing__slug=crossing_slug)
    queues = list(queues.order_by("crossing__name", "from_country", "to_country"))
    since = as_of - timedelta(hours=hours)
    buckets = (
        EstimatePoint.objects.filter(
            queue__in=[queue.pk for queue in queues], published=True, at__gte=since, at__lte=as_of
        )
        .annotate(hour=TruncHour("at"))
        .values("queue_id", "hour")
        .annotate(
            wait=Avg("wait_minutes"),
            low=Avg("low_minutes"),
            high=Avg("high_minutes"),
            drivers=Max("drivers"),
        )
        .order_by("queue_id", "hour")
    )
    published = [queue.pk for queue in queues if getattr(queue, "estimate", None) and queue.estimate.published]
    accuracy = queue_accuracy_map(queue_ids=published, as_of=as_of)
    history: dict[int, list[HistoryPoint]] = defaultdict(list)
    for bucket in buckets:
        history[bucket["queue_id"]].append(
            HistoryPoint(
                at=bucket["hour"],
                wait_minutes=float(bucket["wait"]),
                low_minutes=float(bucket["low"]),
                high_minutes=float(bucket["high"]),
                drivers=bucket["drivers"] or 0,
            )
        )
    return [
        QueueDashboardRow(
            queue_id=queue.pk,
            crossing_slug=queue.crossing.slug,
            crossing_name=queue.crossing.name,
            crossing_name_ru=queue.crossing.name_ru,
            crossing_name_kk=queue.crossing.name_kk,
            direction=queue.direction,
            estimate=getattr(queue, "estimate", None),
            history=history.get(queue.pk, []),
            lat=queue.crossing.lat,
            lon=queue.crossing.lon,
            countries=(str(queue.crossing.country_a), str(queue.crossing.country_b)),
            time_zone=crossing_time_zone(crossing=queue.crossing, country=str(queue.from_country)),
            accuracy=accuracy.get(queue.pk),
        )
        for queue in queues
    ]
