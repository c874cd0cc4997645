"""Reads for crossings, the queue catalogue used by report validation, and visits."""

from __future__ import annotations

import threading
import time

from django.db.models import Prefetch, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from core.errors import NotFound
from queues.domain.reports import QueueRef
from queues.models import Crossing, Queue, Visit


def crossing_list() -> QuerySet[Crossing]:
    """Active crossings with their queues, each queue's estimate and the planned closures (four queries for any
    number of rows)."""
    queues = Queue.objects.select_related("estimate").order_by("from_country", "to_country")
    return Crossing.objects.filter(active=True).prefetch_related(
        Prefetch("queues", queryset=queues), "planned_closures"
    )


def crossing_get(*, slug: str) -> Crossing:
    """One active crossing by slug, with its queues and their estimates. Raises :class:`NotFound`."""
    crossing = crossing_list().filter(slug=slug).first()
    if crossing is None:
        raise NotFound(_("No such crossing."))
    return crossing


def visit_list(*, driver) -> QuerySet[Visit]:
    """The driver's own queue visits, newest first."""
    return Visit.objects.filter(driver=driver).select_related("queue__crossing").order_by("-joined_at", "-id")


# --- the queue catalogue for ingest -----------------------------------------------------------------------------
# Report ingest validates every item against the catalogue. It changes only when an operator edits a crossing, so
# each process keeps it in memory: reloaded at once after an edit in this process (signals below) and at most
# CATALOGUE_TTL_SECONDS later in the others.
CATALOGUE_TTL_SECONDS = 60.0
_catalogue_lock = threading.Lock()
_catalogue: tuple[float, dict[tuple[str, str], QueueRef], frozenset[str]] | None = None


def queue_catalogue() -> tuple[dict[tuple[str, str], QueueRef], frozenset[str]]:
    """``({(slug, direction): QueueRef}, active slugs)`` of the active crossings."""
    global _catalogue
    cached = _catalogue
    if cached is not None and time.monotonic() - cached[0] < CATALOGUE_TTL_SECONDS:
        return cached[1], cached[2]
    rows = Queue.objects.filter(crossing__active=True).values_list(
        "id",
        "crossing_id",
        "crossing__slug",
        "from_country",
        "to_country",
        "crossing__lat",
        "crossing__lon",
        "crossing__coord_kind",
    )
    queues: dict[tuple[str, str], QueueRef] = {}
    for queue_id, crossing_id, slug, origin, destination, lat, lon, coord_kind in rows:
        ref = QueueRef(
            queue_id=queue_id,
            crossing_id=crossing_id,
            crossing_slug=slug,
            from_country=str(origin),
            to_country=str(destination),
            lat=lat,
            lon=lon,
            coord_kind=coord_kind,
        )
        queues[(slug, f"{origin}-{destination}")] = ref
    slugs = frozenset(Crossing.objects.filter(active=True).values_list("slug", flat=True))
    with _catalogue_lock:
        _catalogue = (time.monotonic(), queues, slugs)
    return queues, slugs


def queue_catalogue_forget(**kwargs) -> None:
    """Drops this process's copy of the catalogue (after an edit, and in tests)."""
    global _catalogue
    with _catalogue_lock:
        _catalogue = None


for _model in (Crossing, Queue):
    post_save.connect(
        queue_catalogue_forget, sender=_model, dispatch_uid=f"queue_catalogue_forget_save_{_model.__name__}"
    )
    post_delete.connect(
        queue_catalogue_forget, sender=_model, dispatch_uid=f"queue_catalogue_forget_delete_{_model.__name__}"
    )
