"""Writes for crowd reports: batch ingest, processing after commit (visits: queues.services.visits), trust marks,
location purge."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q

from carriers.models import Driver
from core.metrics import reports_ingested_count
from core.tasks import CoalescedSend, task_send, task_send_coalesced_many_on_commit
from queues.domain.reports import (
    FLAG_FAR,
    ValidReport,
    invalid_id_message,
    report_content_hash,
    report_content_hash_keyed,
    report_id_parse,
    report_validate,
)
from queues.models import Report
from queues.selectors.crossings import queue_catalogue
from queues.services import estimates as estimation
from queues.services.visits import PendingReport, visits_regroup
from stays import services as stay_services

logger = logging.getLogger(__name__)

CREATED, DUPLICATE, CONFLICT, REJECTED = "created", "duplicate", "conflict", "rejected"


def _item_id(item: Any) -> Any:
    """The ``id`` an item carries; ``None`` for an item that is not an object (it is rejected alone)."""
    return item.get("id") if isinstance(item, Mapping) else None


def _echo_id(raw: Any) -> str | None:
    """The item's id as the client sent it (normalised when it is a UUID), for the client to match results."""
    parsed = report_id_parse(raw)
    if parsed is not None:
        return str(parsed)
    return raw if isinstance(raw, str) else None


@transaction.atomic(durable=True)
def report_batch_ingest(*, driver: Driver, items: Sequence[Any], received_at: datetime) -> list[dict[str, Any]]:
    """Stores a batch of crowd reports, each exactly once, and answers one result per item, in order.

    Per item: ``created``; ``duplicate`` (this driver already sent this id with this content); ``conflict``
    (this driver sent this id with other content); ``rejected`` with ``errors`` by field (invalid, or an id
    that is not the caller's, which is refused exactly like an invalid id). A bad item never stops the others,
    not even one that is not a JSON object at all (rejected with its error under ``report``).

    The request does only the write that must precede the answer: the items are validated in memory (the catalogue
    is cached), the valid ones inserted by one ``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id``, and only
    the ids it did not return (already stored: a resend, a conflict, or another driver's id) are read back, by one
    SELECT, to classify them. The primary key is the guard of idempotency: eight clients retrying one batch at
    once store each report once, with no lock on the driver.

    New reports are stored unprocessed (``processed_at`` empty). After commit, one coalesced
    ``queues.reports_process`` task per driver puts them into visits, flags the implausible ones and records
    stay events for ``crossed`` (:func:`reports_process`; in-process without a broker), and the touched queues'
    estimates are asked to refresh. Neither can fail the request: a lost task is caught up by the minute sweep.
    """
    results: list[dict[str, Any]] = [{"id": _echo_id(_item_id(item)), "status": REJECTED} for item in items]
    queues, crossing_slugs = queue_catalogue()
    candidates: dict[uuid.UUID, tuple[int, ValidReport]] = {}  # first valid item of each id
    repeats: list[tuple[int, uuid.UUID, str]] = []  # a later item of an id already among the candidates
    invalid_ids: dict[int, tuple[uuid.UUID, str]] = {}  # an invalid item may still be a resend of a stored one
    for index, item in enumerate(items):
        report_id = report_id_parse(_item_id(item))
        if report_id is not None and report_id in candidates:
            repeats.append((index, report_id, report_content_hash(item)))
            continue
        valid, errors = report_validate(item, queues=queues, crossing_slugs=crossing_slugs, received_at=received_at)
        if valid is None:
            results[index]["errors"] = errors
            if report_id is not None:
                invalid_ids[index] = (report_id, report_content_hash(item))
            continue
        candidates[valid.id] = (index, valid)

    inserted = _reports_insert(driver_id=driver.pk, reports=[valid for _, valid in candidates.values()], at=received_at)
    lookup = {report_id for report_id in candidates if report_id not in inserted}
    lookup.update(report_id for report_id, _ in invalid_ids.values() if report_id not in inserted)
    stored: dict[uuid.UUID, tuple[int, str]] = {}
    if lookup:
        stored = {
            report_id: (owner_id, content_hash)
            for report_id, owner_id, content_hash in Report.objects.filter(id__in=lookup).values_list(
                "id", "driver_id", "content_hash"
            )
        }

    def classify(index: int, report_id: uuid.UUID, content_hash: str) -> None:
        owner_id, stored_hash = stored.get(report_id, (None, None))
        if owner_id != driver.pk:
            # Another driver's id (or, in a race with its deletion, nobody's): refused like an unusable id.
            results[index]["status"] = REJECTED
            results[index]["errors"] = {"id": [invalid_id_message()]}
            return
        results[index].pop("errors", None)
        results[index]["status"] = DUPLICATE if _stored_hash(content_hash) == stored_hash else CONFLICT

    for report_id, (index, valid) in candidates.items():
        if report_id in inserted:
            results[index]["status"] = CREATED
        else:
            classify(index, report_id, valid.content_hash)
    for index, report_id, content_hash in repeats:
        if report_id in inserted:
            results[index]["status"] = DUPLICATE if content_hash == candidates[report_id][1].content_hash else CONFLICT
        else:
            classify(index, report_id, content_hash)
    for index, (report_id, content_hash) in invalid_ids.items():
        # Only the driver's own stored report makes an invalid item a resend (duplicate or conflict). Another
        # driver's id changes nothing: the item is rejected for its own errors, as it would be with a fresh id.
        if report_id not in inserted and stored.get(report_id, (None,))[0] == driver.pk:
            classify(index, report_id, content_hash)

    if inserted:
        queue_ids = sorted(
            {valid.queue.queue_id for report_id, (_, valid) in candidates.items() if report_id in inserted}
        )
        # After commit: the driver's processing and the touched queues' refreshes, each sent unless one is on its
        # way, their pending flags set in one cache round trip.
        task_send_coalesced_many_on_commit(
            [_process_coalesced(driver_id=driver.pk), *estimation.estimate_refresh_sends(queue_ids=queue_ids)]
        )
    reports_ingested_count(results)
    return results


def _stored_hash(digest: str) -> str:
    """A report's content hash as stored and compared: keyed with the server's secret (docs/privacy.md)."""
    return report_content_hash_keyed(digest, key=settings.REPORT_HASH_KEY)


# Columns of a new report, in the order of the INSERT's values.
_INSERT_FIELDS = (
    "id",
    "driver_id",
    "queue_id",
    "kind",
    "observed_at",
    "received_at",
    "position",
    "distance_m",
    "waited_minutes",
    "lat",
    "lon",
    "content_hash",
    "flags",
    "trusted",
)


def _reports_insert(*, driver_id: int, reports: Sequence[ValidReport], at: datetime) -> set[uuid.UUID]:
    """Inserts the reports whose id is not stored yet, in one statement; returns the ids it inserted.

    ``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id`` on PostgreSQL and on SQLite 3.35+: only a primary key
    conflict is skipped (CHECK and NOT NULL failures still raise, unlike SQLite's INSERT OR IGNORE), and rows
    another transaction inserted concurrently are skipped too (PostgreSQL waits for it to commit or roll back).
    """
    if not reports:
        return set()
    if not connection.features.can_return_rows_from_bulk_insert:
        # SQLite before 3.35 has no RETURNING; its writers never overlap (IMMEDIATE transactions), so what is
        # not stored before the insert is exactly what the insert stores.
        stored = set(Report.objects.filter(id__in=[valid.id for valid in reports]).values_list("id", flat=True))
        reports = [valid for valid in reports if valid.id not in stored]
        if not reports:
            return set()
    # Values adapted once per vendor, not field by field (``get_db_prep_save`` per value was a third of a
    # 100-report request): PostgreSQL takes UUIDs and aware datetimes as they are; SQLite gets text.
    ops = connection.ops
    native_uuid = connection.features.has_native_uuid_field
    db_at = ops.adapt_datetimefield_value
    received_at = db_at(at)
    no_flags, far_flags = ops.adapt_json_value([], None), ops.adapt_json_value([FLAG_FAR], None)
    rows = [
        (
            valid.id if native_uuid else valid.id.hex,
            driver_id,
            valid.queue.queue_id,
            valid.kind,
            db_at(valid.observed_at),
            received_at,
            valid.position,
            valid.distance_m,
            valid.waited_minutes,
            # Coordinates are kept only where an operator may need them: a report flagged as far from the
            # crossing (docs/privacy.md). The distance check itself needs no stored coordinates.
            valid.lat if valid.far else None,
            valid.lon if valid.far else None,
            _stored_hash(valid.content_hash),
            far_flags if valid.far else no_flags,
            True,
        )
        for valid in reports
    ]
    by_name = {field.attname: field for field in Report._meta.concrete_fields}
    fields = [by_name[name] for name in _INSERT_FIELDS]
    quote = ops.quote_name
    pk_column = quote(Report._meta.pk.column)
    table = quote(Report._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    if connection.vendor == "postgresql":
        # One array per column, unnested into rows: the statement's text is the same for any batch size, and
        # psycopg adapts 14 lists instead of 14 values per report (half the CPU of a VALUES list of 100 rows).
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        source = f"SELECT * FROM unnest({arrays})"  # noqa: S608 (only column types; the values are parameters)
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        source = "VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
        params = [value for row in rows for value in row]
    # Only the model's own table, column names and types are formatted in; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) {source} ON CONFLICT ({pk_column}) DO NOTHING"
    with connection.cursor() as cursor:
        if not connection.features.can_return_rows_from_bulk_insert:
            cursor.execute(sql, params)
            return {valid.id for valid in reports}
        cursor.execute(f"{sql} RETURNING {pk_column}", params)
        returned = cursor.fetchall()
    return {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in returned}


# --- Processing after commit ---------------------------------------------------------------------------------------
# The first batch of a burst asks for processing this many seconds later; the driver's next batches ride along.
PROCESS_COALESCE_SECONDS = 1
# Lifetime of a driver's "processing pending" flag: it expires on its own, so a lost task delays request-driven
# processing by at most this long, and the minute sweep processes the reports regardless of the flag.
PROCESS_PENDING_TTL_SECONDS = 60
# The sweep takes reports left unprocessed this long after they were received (their own task is late or lost).
PROCESS_SWEEP_AGE = timedelta(seconds=30)
# Tasks sent by the sweep expire if no worker took them within this long; the next sweep sends fresh ones.
PROCESS_SWEEP_TASK_EXPIRES_SECONDS = 120


def reports_process_pending_key(driver_id: int) -> str:
    """The cache key of the driver's "processing pending" flag; it names the database (one Redis may serve
    several databases whose driver ids coincide)."""
    return f"reports-process-pending:{connection.settings_dict['NAME']}:{driver_id}"


def _process_coalesced(*, driver_id: int) -> CoalescedSend:
    """The driver's processing task, sent after commit unless one is on its way, coalesced: a burst of batches
    becomes one task."""
    from queues.tasks.reports import reports_process as reports_process_task

    return CoalescedSend(
        task=reports_process_task,
        pending_key=reports_process_pending_key(driver_id),
        pending_ttl=PROCESS_PENDING_TTL_SECONDS,
        kwargs={"driver_id": driver_id},
        countdown=PROCESS_COALESCE_SECONDS,
        failure_message=_PROCESS_NOT_SENT,
    )


# Broker unreachable (or, in-process, the processing itself failed): the reports are stored all the same and the
# minute sweep processes them once the broker is back.
_PROCESS_NOT_SENT = "report processing not sent; the sweep will catch up"


def _process_send(*, driver_id: int, expires: int) -> bool:
    """Sends one processing task for the sweep; ``False`` (logged) when it could not be sent."""
    from queues.tasks.reports import reports_process as reports_process_task

    return task_send(
        reports_process_task,
        kwargs={"driver_id": driver_id},
        countdown=0,
        expires=expires,
        failure_message=_PROCESS_NOT_SENT,
        log_extra={"driver_id": driver_id},
    )


def reports_process_pending(*, driver_id: int, as_of: datetime) -> int:
    """Runs requested processing: clears the driver's pending flag first, so that batches arriving while this
    one runs ask for another run, then :func:`reports_process`."""
    cache.delete(reports_process_pending_key(driver_id))
    return reports_process(driver_id=driver_id, as_of=as_of)


def reports_process(*, driver_id: int, as_of: datetime) -> int:
    """Does for the driver's unprocessed reports what must follow their ingest; returns how many it processed.

    Under the driver's row lock (``FOR NO KEY UPDATE``: it serialises processing runs of one driver but does not
    hold up the inserts of their new reports), it puts the reports into visits (by ``observed_at``, whatever the
    arrival order), flags the implausible ones, records stay events for ``crossed`` reports, and sets
    ``processed_at``, all in one transaction. Idempotent: a second run finds nothing to do; a run that fails
    leaves the reports unprocessed for the next one.
    """
    with transaction.atomic():
        driver = Driver.objects.select_for_update(no_key=True).filter(pk=driver_id).first()
        if driver is None:
            return 0
        rows = (
            Report.objects.filter(driver_id=driver_id, processed_at__isnull=True)
            .order_by("observed_at", "id")
            .values_list(
                "id",
                "queue_id",
                "kind",
                "observed_at",
                "position",
                "waited_minutes",
                "flags",
                "visit_id",
                "queue__crossing_id",
                "queue__from_country",
                "queue__to_country",
            )
        )
        pending = [
            PendingReport(
                id=report_id,
                queue_id=queue_id,
                kind=kind,
                observed_at=observed_at,
                position=position,
                waited_minutes=waited,
                far=FLAG_FAR in (flags or ()),
                visit_id=visit_id,
                crossing_id=crossing_id,
                from_country=str(from_country),
                to_country=str(to_country),
            )
            for (
                report_id,
                queue_id,
                kind,
                observed_at,
                position,
                waited,
                flags,
                visit_id,
                crossing_id,
                from_country,
                to_country,
            ) in rows
        ]
        if not pending:
            return 0
        flagged_queue_ids = visits_regroup(driver=driver, pending=pending, processed_at=as_of)
        for report in pending:  # oldest first: stay history is recorded in the order it happened
            if report.kind == "crossed":
                stay_services.stay_crossing_record(
                    driver=driver,
                    report_id=report.id,
                    crossing_id=report.crossing_id,
                    from_country=report.from_country,
                    to_country=report.to_country,
                    crossed_at=report.observed_at,  # each country dates it by its own calendar there
                )
        if flagged_queue_ids:
            # The estimates may already have used these reports unflagged; let them see the flags now.
            estimation.estimate_refresh_request(queue_ids=sorted(flagged_queue_ids))
    return len(pending)


def reports_process_sweep(*, as_of: datetime) -> int:
    """The safety net run by beat every minute: one processing task per driver with reports left unprocessed
    more than ``PROCESS_SWEEP_AGE`` after they were received (their task lost or late). Returns how many were sent.

    One query on the partial index of unprocessed reports.
    """
    driver_ids = (
        Report.objects.filter(processed_at__isnull=True, received_at__lt=as_of - PROCESS_SWEEP_AGE)
        .order_by("driver_id")
        .values_list("driver_id", flat=True)
        .distinct()
    )
    return sum(
        _process_send(driver_id=driver_id, expires=PROCESS_SWEEP_TASK_EXPIRES_SECONDS) for driver_id in driver_ids
    )


@transaction.atomic
def report_trust_set(*, report_ids: Iterable[uuid.UUID | str], trusted: bool, actor) -> int:
    """Marks reports trusted or untrusted (kept, but out of estimates); refreshes the touched estimates.

    ``actor`` is the operator or dispatcher; the caller has already cut ``report_ids`` to what the actor may see.
    Trusting again is an operator's decision (a dispatcher would undo one): raises ``PermissionDenied`` when
    anyone but an active superuser asks for ``trusted=True``. Returns how many reports changed.
    """
    if trusted and not (getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False)):
        raise PermissionDenied("Only operators may trust reports again.")
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
