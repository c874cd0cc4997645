"""Exit plans: when to join which exit queue to leave a country in time, for the driver and the dispatcher.

A driver in a country under a stay limit must be through the exit queue by the end of their latest exit day (the
queue stands in the country being left). ``queues.selectors.forecast.exit_plan_list`` gives, per exit crossing with
a published estimate, the latest moment to join its queue; this module brings it to the driver's stays:

- :func:`driver_exit_plans_list` (selector): the plans of a set of drivers, for the dispatcher board and the daily
  reminder (one status per driver, one plan per country and latest exit day however many drivers share it);
- :func:`join_by_reminders_send` (service): a notification to the driver ``JOIN_BY_REMINDER_HOURS`` before the
  earliest join-by, once per stay, in the driver's language, pushed after commit.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from carriers.models import Driver, Notification
from carriers.push import notification_push
from queues.selectors.forecast import ExitPlanItem, exit_plan_list, exit_queue_days
from stays import domain, notices, selectors

logger = logging.getLogger(__name__)

REMINDER_KIND = notices.JOIN_BY_REMINDER


@dataclass(frozen=True, slots=True)
class DriverExitPlan:
    """A driver in ``country`` under a stay limit, with the latest exit day and the exit plan (earliest join-by
    first; empty when no exit queue has a published estimate)."""

    driver_id: int
    country: str
    latest_exit: date
    stay_start: date | None
    plan: tuple[ExitPlanItem, ...]

    @property
    def earliest(self) -> ExitPlanItem | None:
        return self.plan[0] if self.plan else None


def driver_exit_plans_list(*, driver_ids: Sequence[int], now: datetime) -> list[DriverExitPlan]:
    """The exit plans of the drivers among ``driver_ids`` who are in a country under a stay limit with a latest
    exit day ahead, per country, each driver assessed on their own local today. A fixed number of queries for the
    statuses, and three per distinct (country, latest exit) for the plans."""
    plans: dict[tuple[str, date], tuple[ExitPlanItem, ...]] = {}
    result = []
    for driver, status in selectors.stay_statuses_for_drivers(driver_ids=driver_ids, on=None, at=now):
        for country in status.countries:
            if country.rule is None or not country.in_country or country.latest_exit is None:
                continue
            key = (country.country, country.latest_exit)
            if key not in plans:
                plans[key] = tuple(exit_plan_list(country=key[0], latest_exit=key[1], now=now))
            result.append(
                DriverExitPlan(
                    driver_id=driver.pk,
                    country=country.country,
                    latest_exit=country.latest_exit,
                    stay_start=country.stay_start,
                    plan=plans[key],
                )
            )
    return result


def driver_exit_plan_get(*, driver: Driver, country: str, latest_exit: date, now: datetime) -> list[ExitPlanItem]:
    """The exit plan of one driver in ``country`` with ``latest_exit`` (the ``exit_plan`` of ``GET /stays``)."""
    return exit_plan_list(country=country, latest_exit=latest_exit, now=now)


def local_join_by(item: ExitPlanItem) -> str:
    """The join-by moment in the local time of the queue's side, as ``YYYY-MM-DD HH:MM``."""
    from zoneinfo import ZoneInfo

    return item.join_by.astimezone(ZoneInfo(item.time_zone)).strftime("%Y-%m-%d %H:%M")


def join_by_reminders_send(*, driver_ids: Sequence[int], now: datetime) -> list[Notification]:
    """Reminds each driver whose earliest join-by is within ``JOIN_BY_REMINDER_HOURS`` of ``now``: one notification
    per stay (its ``dedupe_key`` names the driver, the country and the stay's entry day), in the driver's language,
    pushed once the notification is committed. Returns the notifications created by this call."""
    ahead = timedelta(hours=settings.JOIN_BY_REMINDER_HOURS)
    created: list[Notification] = []
    due = [
        plan
        for plan in driver_exit_plans_list(driver_ids=driver_ids, now=now)
        if plan.earliest is not None and plan.earliest.join_by - ahead <= now
    ]
    by_id = Driver.objects.in_bulk([plan.driver_id for plan in due])
    for plan in due:
        driver = by_id[plan.driver_id]
        item = plan.earliest
        if item is None:  # not due without a plan (filtered above)
            continue
        key = f"{REMINDER_KIND}:{driver.pk}:{plan.country}:{plan.stay_start or plan.latest_exit}"
        data = {
            "country": plan.country,
            "latest_exit": plan.latest_exit.isoformat(),
            "crossing": item.crossing,
            "crossing_names": dict(zip(("en", "ru", "kk"), item.names, strict=True)),
            "direction": item.direction,
            "join_by": item.join_by.isoformat(),
            "local_join_by": local_join_by(item),
            "high_minutes": item.high_minutes,
            "in_time": item.in_time,
        }
        # Stored in the driver's language for the push; the app renders it again from ``data`` in the reader's.
        language = driver.language or "ru"
        with translation.override(language):
            texts = notices.join_by_texts(data, language=language)
        if texts is None:  # pragma: no cover - the data above is always complete
            continue
        title, body = texts
        fields = {
            "audience": Notification.Audience.DRIVER,
            "driver": driver,
            "kind": notices.JOIN_BY_REMINDER,
            "level": "",
            "title": title[:200],
            "body": body,
            "data": data,
        }
        try:
            with transaction.atomic():
                notification, new = Notification.objects.get_or_create(dedupe_key=key, defaults=fields)
                if new:
                    transaction.on_commit(partial(notification_push, notification=notification))
        except IntegrityError:  # another worker created it between the look-up and the insert
            continue
        if new:
            created.append(notification)
    return created


def stay_exit_plans_get(*, status: domain.StayStatus, now: datetime) -> dict[str, list[ExitPlanItem]]:
    """Per country of ``status`` where the driver is under a limit with a latest exit day, the exit plan (the
    ``exit_plan`` of ``GET /stays``). Three queries per such country."""
    plans = {}
    for country in status.countries:
        if country.rule is None or not country.in_country or country.latest_exit is None:
            continue
        plans[country.country] = exit_plan_list(country=country.country, latest_exit=country.latest_exit, now=now)
    return plans


def stay_plan_with_queue_get(
    *, driver: Driver, country: str, entry: date, days: int, exit_crossing: str | None, now: datetime, as_of: date
) -> tuple[domain.Plan, int]:
    """The ``<plan>`` of a stay of ``days`` days entering on ``entry`` that ends in the exit queue of
    ``exit_crossing`` (None: every exit crossing, the best of them), and the queue days counted: the stay judged is
    ``days + queue_days`` long (the queue stands in the country being left); ``max_days`` is the longest stay before
    the queue. No published estimate: no queue days."""
    exit_day = entry + timedelta(days=days - 1)
    queue_days = exit_queue_days(country=country, exit_day=exit_day, crossing=exit_crossing, now=now) or 0
    plan = selectors.stay_plan_get(
        driver=driver,
        country=country,
        entry=entry,
        days=min(days + queue_days, domain.PLAN_MAX_DAYS),
        as_of=as_of,
    )
    return dataclasses.replace(plan, days=days, max_days=max(0, plan.max_days - queue_days)), queue_days
