"""Writes for crowd reports and queue visits: batch ingest, trust marks, location purge."""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from carriers.models import Driver
from queues import estimation
from queues.models import Report, Visit
from queues.selectors import queue_catalogue
from queues.validation import (
    VISIT_GAP,
    ValidReport,
    VisitReport,
    invalid_id_message,
    report_content_hash,
    report_id_parse,
    report_validate,
    visit_flags,
    visits_group,
)
from stays import services as stay_services

logger = logging.getLogger(__name__)

CREATED, DUPLICATE, CONFLICT, REJECTED = "created", "duplicate", "conflict", "rejected"


def _echo_id(raw: Any) -> str | None:
    """The item's id as the client sent it (normalised when it is a UUID), for the client to match results."""
    parsed = report_id_parse(raw)
    if parsed is not None:
        return str(parsed)
    return raw if isinstance(raw, str) else None


@transaction.atomic
def report_batch_ingest(
    *, driver: Driver, items: Sequence[Mapping[str, Any]], received_at: datetime
) -> list[dict[str, Any]]:
    """Stores a batch of crowd reports, each exactly once, and answers one result per item, in order.

    Per item: ``created``; ``duplicate`` (this driver already sent this id with this content); ``conflict``
    (this driver sent this id with other content); ``rejected`` with ``errors`` by field (invalid, or an id
    that is not the caller's, which is refused exactly like an invalid id). A bad item never stops the others.

    Idempotent under concurrent retries: the report's primary key is the client's UUID, a driver's batches
    are serialised by a lock on the driver row (SQLite: the IMMEDIATE transaction), and rows are inserted with
    ON CONFLICT DO NOTHING and read back, so a race with another driver over one id cannot store it twice.

    New reports are grouped into the driver's visits, get plausibility flags, record stay events for
    ``crossed``, and ask for the touched queues' estimates to be refreshed after commit.
    """
    if connection.vendor != "sqlite":
        # Serialises this driver's batches (visits are read, regrouped and written back). SQLite already runs
        # one writing transaction at a time (transaction_mode IMMEDIATE).
        list(Driver.objects.select_for_update().filter(pk=driver.pk).values_list("pk", flat=True))

    results: list[dict[str, Any]] = [{"id": _echo_id(item.get("id")), "status": REJECTED} for item in items]
    ids = {parsed for item in items if (parsed := report_id_parse(item.get("id"))) is not None}
    stored = {
        row[0]: (row[1], row[2])
        for row in Report.objects.filter(id__in=ids).values_list("id", "driver_id", "content_hash")
    }

    queues, crossing_slugs = queue_catalogue()
    candidates: dict[uuid.UUID, tuple[int, ValidReport]] = {}
    batch_hashes: dict[uuid.UUID, str] = {}
    for index, item in enumerate(items):
        result = results[index]
        report_id = report_id_parse(item.get("id"))
        if report_id is not None and report_id in stored:
            owner_id, stored_hash = stored[report_id]
            if owner_id != driver.pk:
                result["errors"] = {"id": [invalid_id_message()]}
                continue
            result["status"] = DUPLICATE if report_content_hash(item) == stored_hash else CONFLICT
            continue
        if report_id is not None and report_id in batch_hashes:
            result["status"] = DUPLICATE if report_content_hash(item) == batch_hashes[report_id] else CONFLICT
            continue
        valid, errors = report_validate(item, queues=queues, crossing_slugs=crossing_slugs, received_at=received_at)
        if valid is None:
            result["errors"] = errors
            continue
        batch_hashes[valid.id] = valid.content_hash
        candidates[valid.id] = (index, valid)

    if not candidates:
        return results

    Report.objects.bulk_create(
        [
            Report(
                id=valid.id,
                driver_id=driver.pk,
                queue_id=valid.queue.queue_id,
                kind=valid.kind,
                observed_at=valid.observed_at,
                received_at=received_at,
                position=valid.position,
                distance_m=valid.distance_m,
                waited_minutes=valid.waited_minutes,
                # Coordinates are kept only where an operator may need them: a report flagged as far from the
                # crossing (docs/privacy.md). The distance check itself needs no stored coordinates.
                lat=valid.lat if valid.far else None,
                lon=valid.lon if valid.far else None,
                content_hash=valid.content_hash,
                flags=["far"] if valid.far else [],
            )
            for _, valid in candidates.values()
        ],
        # PostgreSQL: ON CONFLICT DO NOTHING, then the read-back below. SQLite's equivalent (INSERT OR IGNORE) would
        # also swallow CHECK and NOT NULL failures; it needs none, as its writers never overlap.
        ignore_conflicts=connection.vendor != "sqlite",
    )
    if connection.vendor != "sqlite":
        # Another driver may have inserted one of these ids between our read and our insert; it is theirs.
        owners = dict(Report.objects.filter(id__in=candidates).values_list("id", "driver_id"))
        for report_id in [rid for rid, owner in owners.items() if owner != driver.pk]:
            index, _valid = candidates.pop(report_id)
            results[index]["errors"] = {"id": [invalid_id_message()]}

    created = [valid for _, valid in candidates.values()]
    if not created:
        return results
    for index, _valid in candidates.values():
        results[index]["status"] = CREATED
    _visits_regroup(driver=driver, created=created)

    for valid in created:
        if valid.kind == "crossed":
            stay_services.stay_crossing_record(
                driver=driver,
                report_id=valid.id,
                crossing_id=valid.queue.crossing_id,
                from_country=valid.queue.from_country,
                to_country=valid.queue.to_country,
                crossed_on=valid.observed_at.astimezone(UTC).date(),
            )
    estimation.estimate_refresh_request(queue_ids=sorted({valid.queue.queue_id for valid in created}))
    return results


def _visits_regroup(*, driver: Driver, created: Sequence[ValidReport]) -> None:
    """Puts newly stored reports into the driver's visits and flags the implausible ones.

    Reads the driver's visits on the touched queues that could take or neighbour the new reports (within
    VISIT_GAP of them), regroups those visits' reports together with the new ones by ``observed_at`` (so the
    arrival order does not matter), keeps each visit's id where its reports stay together, and writes back.
    """
    by_queue: dict[int, list[VisitReport]] = defaultdict(list)
    new_reports: dict[uuid.UUID, ValidReport] = {}
    for valid in created:
        by_queue[valid.queue.queue_id].append(
            VisitReport(
                id=valid.id,
                kind=valid.kind,
                observed_at=valid.observed_at,
                position=valid.position,
                waited_minutes=valid.waited_minutes,
            )
        )
        new_reports[valid.id] = valid
    earliest = min(valid.observed_at for valid in created) - VISIT_GAP
    latest = max(valid.observed_at for valid in created) + VISIT_GAP
    old_visit_ids: dict[int, set[int]] = defaultdict(set)
    neighbours = Report.objects.filter(
        visit__driver=driver,
        visit__queue_id__in=list(by_queue),
        visit__last_report_at__gte=earliest,
        visit__joined_at__lte=latest,
    ).values_list("id", "queue_id", "kind", "observed_at", "position", "waited_minutes", "visit_id")
    for report_id, queue_id, kind, observed_at, position, waited, visit_id in neighbours:
        if report_id in new_reports:
            continue
        by_queue[queue_id].append(
            VisitReport(
                id=report_id,
                kind=kind,
                observed_at=observed_at,
                position=position,
                waited_minutes=waited,
                visit_id=visit_id,
            )
        )
        old_visit_ids[queue_id].add(visit_id)

    visits_to_create: list[tuple[Visit, list[VisitReport]]] = []
    visits_to_update: list[tuple[Visit, list[VisitReport]]] = []
    unclaimed: set[int] = set()
    flags_by_report: dict[uuid.UUID, list[str]] = {}
    for queue_id, reports in by_queue.items():
        claimed: set[int] = set()
        for span in visits_group(reports):
            counts = Counter(r.visit_id for r in span.reports if r.visit_id is not None and r.visit_id not in claimed)
            visit_id = counts.most_common(1)[0][0] if counts else None
            visit = Visit(
                id=visit_id,
                driver_id=driver.pk,
                queue_id=queue_id,
                status=span.status,
                joined_at=span.joined_at,
                crossed_at=span.crossed_at,
                left_at=span.left_at,
                last_report_at=span.last_report_at,
            )
            if visit_id is None:
                visits_to_create.append((visit, span.reports))
            else:
                claimed.add(visit_id)
                visits_to_update.append((visit, span.reports))
            span_flags = visit_flags(span)
            for report in span.reports:
                if report.id in new_reports:
                    base = ["far"] if new_reports[report.id].far else []
                    flags_by_report[report.id] = base + span_flags[report.id]
        unclaimed |= old_visit_ids[queue_id] - claimed

    # Plain UPDATEs grouped by their values rather than bulk_update's CASE per row: a batch usually lands in one
    # visit with no flags, which makes one statement for the visit and one for all its new reports.
    if visits_to_create:
        Visit.objects.bulk_create([visit for visit, _ in visits_to_create])
    for visit, _ in visits_to_update:
        Visit.objects.filter(pk=visit.pk).update(
            status=visit.status,
            joined_at=visit.joined_at,
            crossed_at=visit.crossed_at,
            left_at=visit.left_at,
            last_report_at=visit.last_report_at,
        )
    changes: dict[tuple[int, tuple[str, ...] | None], list[uuid.UUID]] = defaultdict(list)
    for visit, reports in (*visits_to_create, *visits_to_update):
        for report in reports:
            if report.id in new_reports:
                changes[(visit.pk, tuple(flags_by_report[report.id]))].append(report.id)
            elif report.visit_id != visit.pk:
                changes[(visit.pk, None)].append(report.id)
    for (visit_id, flags), report_ids in changes.items():
        values: dict[str, Any] = {"visit_id": visit_id}
        if flags is not None:
            values["flags"] = list(flags)
        Report.objects.filter(pk__in=report_ids).update(**values)
    if unclaimed:
        Visit.objects.filter(pk__in=unclaimed, driver=driver).delete()


@transaction.atomic
def report_trust_set(*, report_ids: Iterable[uuid.UUID | str], trusted: bool, actor) -> int:
    """Marks reports trusted or untrusted (kept, but out of estimates); refreshes the touched estimates.

    ``actor`` is the operator; the caller has already cut ``report_ids`` to what the actor may see.
    Returns how many reports changed.
    """
    reports = Report.objects.filter(pk__in=list(report_ids)).exclude(trusted=trusted)
    queue_ids = set(reports.values_list("queue_id", flat=True))
    changed = reports.update(trusted=trusted)
    logger.info(
        "reports trust set",
        extra={"actor_id": getattr(actor, "pk", None), "trusted": trusted, "changed": changed},
    )
    if queue_ids:
        estimation.estimate_refresh_request(queue_ids=sorted(queue_ids))
    return changed


def report_locations_purge(*, as_of: datetime) -> int:
    """Clears the coordinates of reports received more than REPORT_LOCATION_RETENTION_HOURS before ``as_of``.

    Returns how many reports lost their coordinates. Idempotent.
    """
    cutoff = as_of - timedelta(hours=settings.REPORT_LOCATION_RETENTION_HOURS)
    return (
        Report.objects.filter(received_at__lt=cutoff)
        .filter(Q(lat__isnull=False) | Q(lon__isnull=False))
        .update(lat=None, lon=None)
    )
