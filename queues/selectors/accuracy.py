"""Live accuracy reads: how right a queue's published estimates were (``queues.domain.accuracy``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import DateTimeField, F, Func, OuterRef, Subquery, Value

from queues.domain.accuracy import (
    MATCH,
    WINDOWS_DAYS,
    PublishedPoint,
    RealisedWait,
    accuracy_pairs,
    accuracy_windows,
)
from queues.models import EstimatePoint, Queue, Report


class MinutesBefore(Func):
    """``moment - minutes`` in SQL, for a datetime column and an integer column (the two databases Kezek runs on
    spell it differently: PostgreSQL builds an interval, SQLite goes through Django's own date-delta function,
    which answers in the format Django stores datetimes in)."""

    output_field = DateTimeField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s))", arg_joiner=" - make_interval(mins => ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="django_format_dtdelta('-', %(expressions)s * 60000000)",
            arg_joiner=", ",
            **extra_context,
        )


def queue_accuracy_get(*, queue: Queue, as_of: datetime) -> dict[str, Any]:
    """``{"windows": [...]}`` for the queue at ``as_of``: its realised waits of the last 30 days (``crossed``
    reports with ``waited_minutes``, trusted ones of trusted drivers) scored against the estimates it published
    when those trucks joined. Two queries (see :func:`queues_accuracy_map`)."""
    return {"windows": queues_accuracy_map(queue_ids=[queue.pk], as_of=as_of)[queue.pk]}


def queues_accuracy_map(*, queue_ids: list[int], as_of: datetime) -> dict[int, list[dict[str, Any]]]:
    """The accuracy ``windows`` of each of ``queue_ids`` at ``as_of``, in two queries whatever the number of
    queues and of published ticks: the realised waits of the last 30 days, each with the id of the estimate point
    published when its truck joined (the queue's latest published point at most ``MATCH`` before the joining,
    found by the database on the published-points index), then those points."""
    result: dict[int, list[dict[str, Any]]] = {}
    if not queue_ids:
        return result
    since = as_of - timedelta(days=max(WINDOWS_DAYS))
    joined_at = MinutesBefore(F("observed_at"), F("waited_minutes"))
    matched = (
        EstimatePoint.objects.filter(
            queue_id=OuterRef("queue_id"),
            published=True,
            at__lte=OuterRef("joined_at"),
            at__gte=OuterRef("joined_at") - Value(MATCH),
        )
        .order_by("-at")
        .values("pk")[:1]
    )
    rows = list(
        Report.objects.filter(
            queue_id__in=queue_ids,
            kind="crossed",
            waited_minutes__isnull=False,
            trusted=True,
            driver__trusted=True,
            observed_at__gt=since,
            observed_at__lte=as_of,
        )
        .annotate(joined_at=joined_at)
        .annotate(point_id=Subquery(matched))
        .values_list("queue_id", "observed_at", "waited_minutes", "point_id")
    )
    realised: dict[int, list[RealisedWait]] = defaultdict(list)
    for queue_id, observed_at, waited, _point_id in rows:
        realised[queue_id].append(RealisedWait(crossed_at=observed_at, waited_minutes=waited))
    point_ids = {point_id for *_, point_id in rows if point_id is not None}
    published: dict[int, list[PublishedPoint]] = defaultdict(list)
    if point_ids:
        for queue_id, at, wait, low, high in (
            EstimatePoint.objects.filter(pk__in=point_ids)
            .order_by("queue_id", "at")
            .values_list("queue_id", "at", "wait_minutes", "low_minutes", "high_minutes")
        ):
            published[queue_id].append(PublishedPoint(at=at, wait_minutes=wait, low_minutes=low, high_minutes=high))
    for queue_id in queue_ids:
        # Only the matched points are read: the latest of them at or before a joining is that joining's own
        # match (any later published point would have been its match instead), so the pure scoring is unchanged.
        scored = accuracy_pairs(published=published.get(queue_id, []), realised=realised.get(queue_id, []))
        result[queue_id] = accuracy_windows(scored=scored, as_of=as_of)
    return result
