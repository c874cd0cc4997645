"""Reads of the partner API: crossings with their current estimates, one estimate, the estimate history.

Only aggregates leave through here: crossings, queues and estimates (counts of reports and drivers), never a
report, visit, driver, phone, position or carrier.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, FloatField, Max, Prefetch, Q, QuerySet, Value
from django.db.models.functions import ExtractMinute, Floor, TruncDay, TruncHour
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, NotFound, ValidationFailed
from queues.domain.partner import HistoryWindow, cursor_decode, cursor_encode
from queues.models import Crossing, Estimate, EstimatePoint, Queue

# The module, not the name: queues.services.estimates calls alerts_evaluate, so either may be imported first.
from queues.services import estimates as estimation

logger = logging.getLogger(__name__)

HISTORY_CACHE_SECONDS = 600
# The estimate's answer is replaced when a new estimate commits; this bounds what other edits (a crossing
# deactivated) take to show.
ESTIMATE_CACHE_SECONDS = 60


class InsufficientData(DomainError):
    """The queue has no publishable estimate (fewer than 3 distinct drivers, or none yet)."""

    code = "insufficient_data"
    http_status = 404
    default_detail = gettext_lazy("Not enough recent reports to publish an estimate for this queue.")


def iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` offset, as the contract writes timestamps."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- Keyset pagination ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Page:
    results: list[Any]
    next_cursor: str | None


def keyset_page(queryset: QuerySet, *, fields: Sequence[str], cursor: str | None, limit: int) -> Page:
    """One page of ``queryset`` ordered by ``fields`` (ascending, together unique) after ``cursor``.

    Raises :class:`ValidationFailed` on a cursor this API did not make.
    """
    queryset = queryset.order_by(*fields)
    if cursor:
        try:
            values = cursor_decode(cursor, size=len(fields))
        except ValueError:
            raise ValidationFailed(errors={"cursor": [_("This cursor is not valid.")]}) from None
        after = Q()
        for index, field in enumerate(fields):
            step = Q(**{f"{field}__gt": values[index]})
            for previous, value in zip(fields[:index], values[:index], strict=True):
                step &= Q(**{previous: value})
            after |= step
        try:
            rows = list(queryset.filter(after)[: limit + 1])
        except (ValueError, TypeError):
            raise ValidationFailed(errors={"cursor": [_("This cursor is not valid.")]}) from None
    else:
        rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(results=rows, next_cursor=None)
    last = rows[limit - 1]
    next_cursor = cursor_encode(_cursor_value(getattr(last, field)) for field in fields)
    return Page(results=rows[:limit], next_cursor=next_cursor)


def _cursor_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


# --- Crossings and estimates ------------------------------------------------------------------------
def _queues_prefetch() -> Prefetch:
    return Prefetch("queues", queryset=Queue.objects.select_related("estimate").order_by("from_country", "to_country"))


def _queue_estimate(queue: Queue) -> Estimate | None:
    try:
        return queue.estimate
    except Estimate.DoesNotExist:
        return None


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
            {"direction": queue.direction, "estimate": estimation.estimate_as_dict(_queue_estimate(queue))}
            for queue in crossing.queues.all()
        ],
    }


def partner_crossing_page(*, cursor: str | None, limit: int) -> Page:
    """A page of active crossings by slug, as ``<crossing>`` dicts (3 queries, whatever the page size)."""
    queryset = Crossing.objects.filter(active=True).prefetch_related(_queues_prefetch())
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


def partner_estimate_get(*, queue: Queue) -> dict[str, Any]:
    """The queue's ``<estimate>``; raises :class:`InsufficientData` when none is publishable."""
    payload = estimation.estimate_as_dict(_queue_estimate(queue))
    if payload is None:
        raise InsufficientData()
    return payload


# --- The estimate, cached ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EstimateEntry:
    """One queue's answer, ready to send: the ``<estimate>`` as JSON bytes and its ETag, or ``body`` None
    when there is no publishable estimate (404 ``insufficient_data``)."""

    body: bytes | None
    etag: str | None


def json_etag(data: Any) -> str:
    """A strong ETag of a JSON-able answer: the SHA-256 of its canonical JSON."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return '"' + hashlib.sha256(encoded).hexdigest()[:40] + '"'


def _estimate_entry(estimate: Estimate | None) -> EstimateEntry:
    payload = estimation.estimate_as_dict(estimate)
    if payload is None:
        return EstimateEntry(body=None, etag=None)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return EstimateEntry(body=body, etag=json_etag(payload))


_ENTRY_TAG = "estimate/1"


def _stored(entry: EstimateEntry) -> tuple[str, bytes | None, str | None]:
    return (_ENTRY_TAG, entry.body, entry.etag)


# ``stored`` of partner_estimate_entry when the caller has not read the cache for it.
UNREAD = object()


def partner_estimate_cache_key(slug: str, direction: str) -> str:
    """The cache key of the answer for crossing ``slug`` in ``direction`` (any case)."""
    return _estimate_cache_key(slug, direction)


def _estimate_cache_key(slug: str, direction: str) -> str:
    digest = hashlib.sha256(f"{slug}|{direction.upper()}".encode()).hexdigest()[:32]
    return f"partner:estimate:{digest}"


def partner_estimate_entry(*, slug: str, direction: str, stored: object = UNREAD) -> EstimateEntry:
    """The current answer of the queue of crossing ``slug`` in ``direction``, from the cache when it holds it
    (no query), else from the database (2 queries), then remembered for :data:`ESTIMATE_CACHE_SECONDS`.

    A saved or deleted estimate drops the remembered answer at once, and the estimator stores the new one when
    its transaction commits (:func:`partner_estimate_refresh`); an answer read from the database is only added,
    never overwritten. With the cache down every read is computed. ``stored`` is the cache's value for
    :func:`partner_estimate_cache_key` when the caller read it already (with the key, in one round trip).
    Raises :class:`NotFound` and :class:`ValidationFailed` like :func:`partner_queue_get` (those are not
    remembered).
    """
    key = _estimate_cache_key(slug, direction)
    if stored is UNREAD:
        stored = cache.get(key)
    # Stored as a plain tuple (tagged), so a changed class never makes an old entry unreadable.
    if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == _ENTRY_TAG:
        return EstimateEntry(body=stored[1], etag=stored[2])
    queue = partner_queue_get(slug=slug, direction=direction)
    entry = _estimate_entry(_queue_estimate(queue))
    if stored is None:  # a miss (anything else: the caller found the cache unavailable)
        cache.add(key, _stored(entry), ESTIMATE_CACHE_SECONDS)
    return entry


def partner_estimate_refresh(*, queue_id: int) -> None:
    """Stores the queue's current answer in the cache, read from the database (one query). ``estimate_refresh``
    calls it once its transaction has committed, so a read that raced the new estimate and remembered the old
    one is overwritten."""
    queue = Queue.objects.select_related("crossing", "estimate").filter(pk=queue_id).first()
    if queue is None:
        return
    key = _estimate_cache_key(queue.crossing.slug, queue.direction)
    if not queue.crossing.active:
        cache.delete(key)
        return
    cache.set(key, _stored(_estimate_entry(_queue_estimate(queue))), ESTIMATE_CACHE_SECONDS)


@receiver(post_save, sender=Estimate, dispatch_uid="partner_estimate_forget_on_save")
@receiver(post_delete, sender=Estimate, dispatch_uid="partner_estimate_forget_on_delete")
def _forget_changed_estimate(sender, instance: Estimate, **kwargs) -> None:
    """Any saved or deleted estimate (the estimator, the admin, a script) drops the queue's cached answer at once."""
    queue = instance.queue if Estimate.queue.is_cached(instance) else None
    if queue is not None and Queue.crossing.is_cached(queue):
        names = (queue.crossing.slug, queue.from_country, queue.to_country)
    else:
        names = Queue.objects.filter(pk=instance.queue_id).values_list("crossing__slug", "from_country", "to_country")
        names = names.first()
    if names is not None:
        slug, origin, destination = names
        cache.delete(_estimate_cache_key(slug, f"{origin}-{destination}"))


# --- History ----------------------------------------------------------------------------------------
def _history_version(queue: Queue) -> str:
    """Changes whenever the queue's stored series can have changed: its estimate's computed_at (loaded with
    the queue) and its newest point (one index lookup)."""
    estimate = _queue_estimate(queue)
    last_point_at = EstimatePoint.objects.filter(queue=queue).order_by("-at").values_list("at", flat=True).first()
    return f"{iso(estimate.computed_at) if estimate else None}|{iso(last_point_at)}"


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
                "at": iso(at),
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
