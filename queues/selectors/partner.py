"""Reads of the partner API: crossings with their current estimates, one queue, the estimate history (the
stored answers of the crossing reads are ``queues.answers``).

Only aggregates leave through here: crossings, queues and estimates (counts of reports and drivers), never a
report, visit, driver, phone, position or carrier.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, FloatField, Max, Value
from django.db.models.functions import ExtractMinute, Floor, TruncDay, TruncHour
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, NotFound, ValidationFailed
from core.http import utc_iso
from core.pagination import Page, keyset_page
from queues.domain.partner import HistoryWindow
from queues.models import Crossing, EstimatePoint, Queue
from queues.payloads import crossing_as_dict, queue_estimate
from queues.selectors.crossings import crossing_list

HISTORY_CACHE_SECONDS = 600


class InsufficientData(DomainError):
    """The queue has no publishable estimate (fewer than 3 distinct drivers, or none yet)."""

    code = "insufficient_data"
    http_status = 404
    default_detail = gettext_lazy("Not enough recent reports to publish an estimate for this queue.")


# --- Crossings and estimates ------------------------------------------------------------------------
def partner_crossing_page(*, cursor: str | None, limit: int) -> Page:
    """A page of active crossings by slug, as ``<crossing>`` dicts (3 queries, whatever the page size)."""
    queryset = crossing_list()
    page = keyset_page(queryset, fields=("slug",), cursor=cursor, limit=limit)
    return Page(results=[crossing_as_dict(crossing) for crossing in page.results], next_cursor=page.next_cursor)


def partner_queue_get(*, slug: str, direction: str) -> Queue:
    """The queue of an active crossing in ``direction`` (``KZ-RU``).

    Raises :class:`NotFound` for an unknown crossing and :class:`ValidationFailed` (field ``direction``)
    for a direction the crossing does not have.
    """
    crossing = Crossing.objects.filter(slug=slug, active=True).first()
    if crossing is None:
        raise NotFound(_("No crossing has this slug."))
    origin, _sep, destination = direction.upper().partition("-")
    queue = (
        Queue.objects.select_related("crossing", "estimate")
        .filter(crossing=crossing, from_country=origin, to_country=destination)
        .first()
    )
    if queue is None:
        directions = sorted(q.direction for q in crossing.queues.all())
        raise ValidationFailed(
            errors={"direction": [_("This crossing has the directions: %(list)s.") % {"list": ", ".join(directions)}]}
        )
    return queue


# --- History ----------------------------------------------------------------------------------------
def _history_version(queue: Queue) -> str:
    """Changes whenever the queue's stored series can have changed: its estimate's computed_at (loaded with
    the queue) and its newest point (one index lookup)."""
    estimate = queue_estimate(queue)
    last_point_at = EstimatePoint.objects.filter(queue=queue).order_by("-at").values_list("at", flat=True).first()
    return f"{utc_iso(estimate.computed_at) if estimate else None}|{utc_iso(last_point_at)}"


def _history_points(queue: Queue, window: HistoryWindow) -> list[dict[str, Any]]:
    points = EstimatePoint.objects.filter(queue=queue, published=True, at__gte=window.since, at__lt=window.until)
    step_minutes = int(window.step.total_seconds() // 60)
    whole = Value(0.0, output_field=FloatField())
    if window.step >= timedelta(days=1):
        grouped = points.annotate(bucket=TruncDay("at", tzinfo=UTC), part=whole)
    elif window.step >= timedelta(hours=1):
        grouped = points.annotate(bucket=TruncHour("at", tzinfo=UTC), part=whole)
    else:
        # Sub-hour buckets: the hour, plus which step-long slice of it (Trunc has no 15-minute kind).
        part = Floor(ExtractMinute("at") / Value(float(step_minutes), output_field=FloatField()))
        grouped = points.annotate(bucket=TruncHour("at", tzinfo=UTC), part=part)
    rows = (
        grouped.values("bucket", "part")
        .annotate(
            wait=Avg("wait_minutes"),
            low=Avg("low_minutes"),
            high=Avg("high_minutes"),
            drivers_max=Max("drivers"),
            n=Count("id"),
        )
        .order_by("bucket", "part")
    )
    result = []
    for row in rows:
        at = row["bucket"] + timedelta(minutes=int(row["part"] or 0) * step_minutes)
        result.append(
            {
                "at": utc_iso(at),
                "wait_minutes": round(row["wait"]),
                "low_minutes": round(row["low"]),
                "high_minutes": round(row["high"]),
                "drivers": row["drivers_max"],
            }
        )
    return result


def partner_history_get(*, queue: Queue, window: HistoryWindow, interval: str) -> dict[str, Any]:
    """``{"points": [...]}``: one point per bucket that holds published estimates, oldest first.

    A point's ``at`` is the bucket's start (UTC-aligned); its minutes are the rounded mean of the published
    estimates stored in the bucket, ``drivers`` the most distinct drivers behind any of them. Served from the
    cache keyed on the queue's latest estimate, so a new estimate is never hidden by a cached answer; with the
    cache down every request is computed.
    """
    key = (
        f"partner:history:{queue.pk}:{interval}:{int(window.since.timestamp())}:{int(window.until.timestamp())}:"
        f"{_history_version(queue)}"
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    body = {"points": _history_points(queue, window)}
    cache.set(key, body, HISTORY_CACHE_SECONDS)
    return body
