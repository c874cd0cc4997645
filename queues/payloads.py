"""The contract's ``<crossing>`` and ``<estimate>``, built in one place for both APIs, the webhooks and the
cached partner answer. A leaf: it imports only ``core`` and the models, so any layer may use it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from core.http import utc_iso
from queues.catalogue import crossing_sides
from queues.models import Crossing, Estimate, Queue


def queue_estimate(queue: Queue) -> Estimate | None:
    """The queue's estimate row, or ``None`` when it has none (loaded with the queue when selected)."""
    try:
        return queue.estimate
    except Estimate.DoesNotExist:
        return None


def _to_the_second(at: datetime | None) -> str | None:
    """An estimate's timestamps to the second: one shape whether the clock had microseconds or not."""
    return utc_iso(at.replace(microsecond=0)) if at is not None else None


def estimate_as_dict(estimate: Estimate | None) -> dict[str, Any] | None:
    """The contract's ``<estimate>`` object, or ``None`` when there is none or it is not publishable."""
    if estimate is None or not estimate.published:
        return None
    return {
        "wait_minutes": estimate.wait_minutes,
        "low_minutes": estimate.low_minutes,
        "high_minutes": estimate.high_minutes,
        "queue_length": estimate.queue_length,
        "throughput_per_hour": estimate.throughput_per_hour,
        "reports": estimate.reports,
        "drivers": estimate.drivers,
        "computed_at": _to_the_second(estimate.computed_at),
        "data_until": _to_the_second(estimate.data_until),
        "stale": estimate.stale,
        "confidence": estimate.confidence,
    }


def crossing_as_dict(crossing: Crossing) -> dict[str, Any]:
    """The contract's ``<crossing>``; expects its queues prefetched with their estimates."""
    return {
        "slug": crossing.slug,
        "name": crossing.name,
        "name_ru": crossing.name_ru,
        "name_kk": crossing.name_kk,
        "countries": [str(crossing.country_a), str(crossing.country_b)],
        "lat": crossing.lat,
        "lon": crossing.lon,
        "queues": [
            {"direction": queue.direction, "estimate": estimate_as_dict(queue_estimate(queue))}
            for queue in crossing.queues.all()
        ],
        "schedule": schedule_as_list(crossing),
    }


def schedule_as_list(crossing: Crossing, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The ``schedule`` of a ``<crossing>``: per side, its time zone, opening hours, daily quota and the planned
    closures not over yet (expects ``planned_closures`` prefetched)."""
    now = now or timezone.now()
    closures = list(crossing.planned_closures.all())
    sides = []
    for side in crossing_sides(crossing=crossing, closures=closures):
        sides.append(
            {
                "country": side.country,
                "time_zone": side.time_zone,
                "opening_hours": (
                    {"opens": side.hours.opens.strftime("%H:%M"), "closes": side.hours.text().split("-")[1]}
                    if side.hours is not None
                    else None
                ),
                "daily_quota": side.daily_quota,
                "planned_closures": [
                    {
                        "from": _to_the_second(closure.starts_at),
                        "to": _to_the_second(closure.ends_at),
                        "reason": closure.reason,
                        "source": closure.source,
                    }
                    for closure in closures
                    if str(closure.country) == side.country and closure.ends_at > now
                ],
            }
        )
    return sides
