"""The partner API's cached estimate answers, kept in this one module: the key, the stored form, the read
through the cache, the refresh when a new estimate commits and the forgetting when one changes.

A read remembers the answer it computed (``cache.add``: never over a newer one); a saved or deleted estimate
(the estimator, the admin, a script) drops the queue's answer at once; ``estimate_refresh`` stores the new one
when its transaction commits. The partner auth may read an answer in its own round trip (``stored``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.http import json_etag
from queues.models import Estimate, Queue
from queues.payloads import estimate_as_dict, queue_estimate
from queues.selectors.partner import partner_queue_get

# The answer is replaced when a new estimate commits; this bounds what other edits (a crossing deactivated)
# take to show.
ESTIMATE_CACHE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class EstimateEntry:
    """One queue's answer, ready to send: the ``<estimate>`` as JSON bytes and its ETag, or ``body`` None
    when there is no publishable estimate (404 ``insufficient_data``)."""

    body: bytes | None
    etag: str | None


def _estimate_entry(estimate: Estimate | None) -> EstimateEntry:
    payload = estimate_as_dict(estimate)
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
    entry = _estimate_entry(queue_estimate(queue))
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
    cache.set(key, _stored(_estimate_entry(queue_estimate(queue))), ESTIMATE_CACHE_SECONDS)


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
