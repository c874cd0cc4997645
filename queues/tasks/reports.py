"""Thin Celery wrappers around report services.

Arguments are keyword-only JSON; ``**kwargs`` lets an older or newer sender add arguments without breaking a
running worker.
"""

from celery import shared_task
from django.utils import timezone

from core.tasks import IDEMPOTENT_DB_TASK
from queues.services import reports as services

__all__ = ["report_locations_purge", "reports_process", "reports_process_sweep"]


@shared_task(name="queues.report_locations_purge", ignore_result=True, soft_time_limit=120, time_limit=180)
def report_locations_purge(**kwargs) -> None:
    """Hourly (beat): clears coordinates older than REPORT_LOCATION_RETENTION_HOURS. Idempotent."""
    services.report_locations_purge(as_of=timezone.now())


@shared_task(name="queues.reports_process", **IDEMPOTENT_DB_TASK)
def reports_process(*, driver_id: int, **kwargs) -> None:
    """After ingest: puts the driver's unprocessed reports into visits, flags them, records crossings."""
    services.reports_process_pending(driver_id=driver_id, as_of=timezone.now())


@shared_task(
    name="queues.reports_process_sweep",
    ignore_result=True,
    # Not acknowledged late: a lost sweep is replaced by the next one a minute later.
    acks_late=False,
    soft_time_limit=30,
    time_limit=45,
)
def reports_process_sweep(**kwargs) -> None:
    """Beat, every minute: one ``queues.reports_process`` per driver whose reports wait too long."""
    services.reports_process_sweep(as_of=timezone.now())
