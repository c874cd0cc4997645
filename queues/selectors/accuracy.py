"""Live accuracy reads: how right a queue's published estimates were (``queues.domain.accuracy``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from queues.domain.accuracy import (
    MATCH,
    WINDOWS_DAYS,
    PublishedPoint,
    RealisedWait,
    accuracy_pairs,
    accuracy_windows,
)
from queues.models import EstimatePoint, Queue, Report


def queue_accuracy_get(*, queue: Queue, as_of: datetime) -> dict[str, Any]:
    """``{"windows": [...]}`` for the queue at ``as_of``: its realised waits of the last 30 days (``crossed``
    reports with ``waited_minutes``, trusted ones of trusted drivers) scored against the estimates it published
    when those trucks joined. Two queries: the crossings, then the published history points they need."""
    since = as_of - timedelta(days=max(WINDOWS_DAYS))
    realised = [
        RealisedWait(crossed_at=observed_at, waited_minutes=waited)
        for observed_at, waited in Report.objects.filter(
            queue=queue,
            kind="crossed",
            waited_minutes__isnull=False,
            trusted=True,
            driver__trusted=True,
            observed_at__gt=since,
            observed_at__lte=as_of,
        ).values_list("observed_at", "waited_minutes")
    ]
    if not realised:
        return {"windows": accuracy_windows(scored=[], as_of=as_of)}
    earliest = min(wait.joined_at for wait in realised) - MATCH
    published = [
        PublishedPoint(at=at, wait_minutes=wait, low_minutes=low, high_minutes=high)
        for at, wait, low, high in EstimatePoint.objects.filter(
            queue=queue, published=True, at__gte=earliest, at__lte=as_of
        )
        .order_by("at")
        .values_list("at", "wait_minutes", "low_minutes", "high_minutes")
    ]
    return {"windows": accuracy_windows(scored=accuracy_pairs(published=published, realised=realised), as_of=as_of)}
