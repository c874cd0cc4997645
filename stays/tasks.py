"""Thin Celery wrappers around stays services: the daily check fans out per chunk of driver ids."""

from __future__ import annotations

from datetime import date, datetime

from celery import shared_task
from django.utils import timezone

from stays import exit_plans, selectors, services

DAILY_CHUNK_SIZE = 200


@shared_task(name="stays.daily_check", ignore_result=True, soft_time_limit=120, time_limit=180)
def daily_check(**kwargs) -> None:
    """Beat entry point: one ``stays.status_refresh_chunk`` per chunk of driver ids; each driver is assessed on
    their own local today (the calendar of the country they are in)."""
    at = timezone.now().isoformat()
    for driver_ids in selectors.driver_id_chunks(size=DAILY_CHUNK_SIZE):
        status_refresh_chunk.delay(driver_ids=driver_ids, at=at)


@shared_task(name="stays.status_refresh_chunk", ignore_result=True, acks_late=True, soft_time_limit=300, time_limit=360)
def status_refresh_chunk(*, driver_ids: list[int], on: str | None = None, at: str | None = None, **kwargs) -> None:
    """Idempotent: snapshots are upserts and notifications are unique per level and stay. ``on`` (a date for every
    driver) is still honoured for messages queued before each driver's local today was used."""
    services.stay_statuses_refresh(
        driver_ids=driver_ids,
        on=date.fromisoformat(on) if on else None,
        as_of=datetime.fromisoformat(at) if at else timezone.now(),
    )


@shared_task(name="stays.driver_status_refresh", ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def driver_status_refresh(*, driver_id: int, **kwargs) -> None:
    """After a driver's events, regimes or checks change (sent after commit, delayed and coalesced per driver)."""
    services.stay_status_refresh_pending(driver_id=driver_id, as_of=timezone.now())


@shared_task(name="stays.join_by_reminders", ignore_result=True, soft_time_limit=120, time_limit=180)
def join_by_reminders(**kwargs) -> None:
    """Beat entry point (hourly): one ``stays.join_by_reminders_chunk`` per chunk of driver ids."""
    now = timezone.now().isoformat()
    for driver_ids in selectors.driver_id_chunks(size=DAILY_CHUNK_SIZE):
        join_by_reminders_chunk.delay(driver_ids=driver_ids, now=now)


@shared_task(
    name="stays.join_by_reminders_chunk", ignore_result=True, acks_late=True, soft_time_limit=300, time_limit=360
)
def join_by_reminders_chunk(*, driver_ids: list[int], now: str, **kwargs) -> None:
    """Idempotent: a reminder is unique per driver, country and stay."""
    exit_plans.join_by_reminders_send(driver_ids=driver_ids, now=datetime.fromisoformat(now))
