"""Thin Celery wrappers around report services."""

from celery import shared_task
from django.utils import timezone

from queues import services

__all__ = ["report_locations_purge"]


@shared_task(name="queues.report_locations_purge", ignore_result=True, soft_time_limit=120, time_limit=180)
def report_locations_purge(**kwargs) -> None:
    """Hourly (beat): clears coordinates older than REPORT_LOCATION_RETENTION_HOURS. Idempotent."""
    services.report_locations_purge(as_of=timezone.now())
