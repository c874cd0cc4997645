"""Writes for queue visits: a driver's processed reports grouped into visits, with their plausibility flags.

Called by report processing (``queues.services.reports.reports_process``) inside its transaction, under the
driver's row lock; the grouping and the flags themselves are pure (``queues.domain.reports``).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carriers.models import Driver
from queues.domain.reports import FLAG_FAR, VISIT_GAP, VisitReport, visit_flags, visits_group
from queues.models import Report, Visit


@dataclass(frozen=True, slots=True)
class PendingReport:
    """A stored, unprocessed report, as processing needs it."""

    id: uuid.UUID
    queue_id: int
    kind: str
    observed_at: datetime
    position: int | None
    waited_minutes: int | None
    far: bool
    visit_id: int | None
    crossing_id: int
    from_country: str
    to_country: str


def visits_regroup(*, driver: Driver, pending: Sequence[PendingReport], processed_at: datetime) -> set[int]:
    """Puts the driver's pending reports into their visits, flags the implausible ones, marks them processed.

    Reads the driver's visits on the touched queues that could take or neighbour the pending reports (within
    VISIT_GAP of them), regroups those visits' reports together with the pending ones by ``observed_at`` (so the
    arrival order does not matter), keeps each visit's id where its reports stay together, and writes back.
    Returns the queues where a report got a plausibility flag it did not have.
    """
    by_queue: dict[int, list[VisitReport]] = defaultdict(list)
    new_reports: dict[uuid.UUID, PendingReport] = {}
    old_visit_ids: dict[int, set[int]] = defaultdict(set)
    for report in pending:
        by_queue[report.queue_id].append(
            VisitReport(
                id=report.id,
                kind=report.kind,
                observed_at=report.observed_at,
                position=report.position,
                waited_minutes=report.waited_minutes,
                visit_id=report.visit_id,
            )
        )
        new_reports[report.id] = report
        if report.visit_id is not None:
            old_visit_ids[report.queue_id].add(report.visit_id)
    earliest = min(report.observed_at for report in pending) - VISIT_GAP
    latest = max(report.observed_at for report in pending) + VISIT_GAP
    neighbours = Report.objects.filter(
        visit__driver=driver,
        visit__queue_id__in=list(by_queue),
        visit__last_report_at__gte=earliest,
        visit__joined_at__lte=latest,
    ).values_list("id", "queue_id", "kind", "observed_at", "position", "waited_minutes", "visit_id", "flags")
    stored_flags: dict[uuid.UUID, list[str]] = {}
    for report_id, queue_id, kind, observed_at, position, waited, visit_id, flags in neighbours:
        if report_id in new_reports:
            continue
        stored_flags[report_id] = list(flags or ())
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
    flagged_queue_ids: set[int] = set()
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
                wait_minutes=span.wait_minutes,
            )
            if visit_id is None:
                visits_to_create.append((visit, span.reports))
            else:
                claimed.add(visit_id)
                visits_to_update.append((visit, span.reports))
            # Every report of the span is judged again against its new neighbours: a report that arrives late
            # (out of order) may change the plausibility of the ones stored before it.
            span_flags = visit_flags(span)
            for report in span.reports:
                far = new_reports[report.id].far if report.id in new_reports else FLAG_FAR in stored_flags[report.id]
                flags_by_report[report.id] = ([FLAG_FAR] if far else []) + span_flags[report.id]
                if span_flags[report.id] and (
                    report.id in new_reports or flags_by_report[report.id] != stored_flags[report.id]
                ):
                    flagged_queue_ids.add(queue_id)
        unclaimed |= old_visit_ids[queue_id] - claimed

    # Plain UPDATEs grouped by their values rather than bulk_update's CASE per row: a batch usually lands in one
    # visit with no flags, which makes one statement for the visit and one for all its new reports (which are
    # marked processed in the same statement).
    if visits_to_create:
        Visit.objects.bulk_create([visit for visit, _ in visits_to_create])
    for visit, _ in visits_to_update:
        Visit.objects.filter(pk=visit.pk).update(
            status=visit.status,
            joined_at=visit.joined_at,
            crossed_at=visit.crossed_at,
            left_at=visit.left_at,
            last_report_at=visit.last_report_at,
            wait_minutes=visit.wait_minutes,
        )
    changes: dict[tuple[int, tuple[str, ...], bool], list[uuid.UUID]] = defaultdict(list)
    for visit, reports in (*visits_to_create, *visits_to_update):
        for report in reports:
            flags = flags_by_report[report.id]
            if report.id in new_reports:
                changes[(visit.pk, tuple(flags), True)].append(report.id)
            elif report.visit_id != visit.pk or flags != stored_flags[report.id]:
                changes[(visit.pk, tuple(flags), False)].append(report.id)
    for (visit_id, flags, processed), report_ids in changes.items():
        values: dict[str, Any] = {"visit_id": visit_id, "flags": list(flags)}
        if processed:
            values["processed_at"] = processed_at
        Report.objects.filter(pk__in=report_ids).update(**values)
    if unclaimed:
        Visit.objects.filter(pk__in=unclaimed, driver=driver).delete()
    return flagged_queue_ids
