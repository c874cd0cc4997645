"""Reads for the trip planner: which drivers of a carrier may make a trip into a country entering on a date.

Planning a driver costs milliseconds to tens of milliseconds of pure computation (``stays.domain.plan`` searches
for the earliest possible entry), so the planner works a page at a time: the page is chosen and ordered in SQL
(by name or by the days left now), and only its drivers are planned. Each page costs the same few queries
whatever the fleet size; the CSV export walks the whole fleet in chunks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import F, QuerySet

from carriers.models import Driver
from queues.models import Estimate, Queue
from stays import domain
from stays import selectors as stay_selectors
from stays.models import DriverRegime, StayEvent

PLANNER_SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "days_left": (F("planner_days_left").asc(nulls_last=True), "name", "pk"),
    "-days_left": (F("planner_days_left").desc(nulls_last=True), "name", "pk"),
}
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class TripQuery:
    """A trip into ``country`` entering on ``entry`` for ``days`` days, leaving through a queue that is
    expected to take ``exit_queue_days`` more days in the country (0 when unknown)."""

    country: str
    entry: date
    days: int
    exit_queue_days: int = 0

    @property
    def stay_days(self) -> int:
        return self.days + self.exit_queue_days


@dataclass(frozen=True)
class PlannerRow:
    driver_id: int
    name: str
    phone: str
    vehicle_plate: str
    carrier_name: str
    citizenship: str
    days_left_now: int | None
    risk_now: str | None
    rule_missing: bool
    allowed: bool
    max_days: int
    spare_days: int | None  # days the driver could still stay after the trip; None when not allowed
    earliest_entry: date | None


@dataclass(frozen=True)
class ExitQueue:
    """The published estimate of the queue out of the country at the chosen crossing, in whole days
    (the high end of its 80% range, rounded up: the conservative count)."""

    crossing_slug: str
    direction: str
    estimate: Estimate | None
    queue_days: int


def planner_queryset(*, drivers: QuerySet[Driver], country: str, sort: str = "name") -> QuerySet[Driver]:
    """``drivers`` annotated with their days left in ``country`` now (last computed status), in ``sort`` order
    (a key of ``PLANNER_SORTS``; anything else sorts by name)."""
    order = PLANNER_SORTS.get(sort, PLANNER_SORTS["name"])
    return (
        drivers.select_related("carrier")
        .annotate(
            planner_days_left=stay_selectors.snapshot_subquery(country=country, field="days_left"),
            planner_risk=stay_selectors.snapshot_subquery(country=country, field="risk"),
        )
        .order_by(*order)
    )


def planner_rows(*, drivers: Iterable[Driver], trip: TripQuery, as_of: date) -> list[PlannerRow]:
    """Plans ``trip`` for each of ``drivers`` (a page of :func:`planner_queryset`). Three queries: their
    events, their regimes and the rules."""
    drivers = list(drivers)
    ids = [driver.pk for driver in drivers]
    events: dict[int, list[StayEvent]] = defaultdict(list)
    for event in StayEvent.objects.filter(driver_id__in=ids, deleted_at__isnull=True).order_by("date", "created_at"):
        events[event.driver_id].append(event)
    regimes: dict[int, list[domain.Regime]] = defaultdict(list)
    for regime in DriverRegime.objects.filter(driver_id__in=ids):
        regimes[regime.driver_id].append(
            domain.Regime(regime=regime.regime, valid_from=regime.valid_from, valid_to=regime.valid_to)
        )
    rules = stay_selectors.stay_rules_list()
    rows = []
    for driver in drivers:
        facts = domain.DriverFacts(citizenship=str(driver.citizenship or "").upper(), regimes=tuple(regimes[driver.pk]))
        rows.append(_row(driver=driver, facts=facts, events=events[driver.pk], rules=rules, trip=trip, as_of=as_of))
    return rows


def _row(
    *,
    driver: Driver,
    facts: domain.DriverFacts,
    events: list[StayEvent],
    rules: list[domain.Rule],
    trip: TripQuery,
    as_of: date,
) -> PlannerRow:
    common = {
        "driver_id": driver.pk,
        "name": driver.name,
        "phone": str(driver.phone),
        "vehicle_plate": driver.vehicle_plate,
        "carrier_name": driver.carrier.name if driver.carrier_id else "",
        "citizenship": facts.citizenship,
        "days_left_now": getattr(driver, "planner_days_left", None),
        "risk_now": getattr(driver, "planner_risk", None),
    }
    if domain.rule_in_force(rules=rules, country=trip.country, driver=facts, day=trip.entry) is None:
        # No rule applies (no citizenship recorded, a citizen of the country, or no rule for them): the
        # planner cannot vouch for the trip, so it says so instead of calling it allowed.
        return PlannerRow(**common, rule_missing=True, allowed=False, max_days=0, spare_days=None, earliest_entry=None)
    plan = domain.plan(
        country=trip.country,
        entry=trip.entry,
        days=trip.stay_days,
        driver=facts,
        events=[domain.Event(country=str(event.country), kind=event.kind, on=event.date) for event in events],
        rules=rules,
        as_of=as_of,
    )
    return PlannerRow(
        **common,
        rule_missing=False,
        allowed=plan.allowed,
        max_days=plan.max_days,
        spare_days=plan.max_days - trip.stay_days if plan.allowed else None,
        earliest_entry=plan.earliest_entry,
    )


def planner_rows_all(
    *, drivers: QuerySet[Driver], trip: TripQuery, as_of: date, sort: str = "name", chunk: int = 200
) -> Iterator[PlannerRow]:
    """Every driver's row, ``chunk`` drivers at a time (for the CSV export)."""
    queryset = planner_queryset(drivers=drivers, country=trip.country, sort=sort)
    total = queryset.count()
    for start in range(0, total, chunk):
        yield from planner_rows(drivers=queryset[start : start + chunk], trip=trip, as_of=as_of)


def exit_queue_get(*, crossing_slug: str, country: str) -> ExitQueue | None:
    """The queue out of ``country`` at the crossing ``crossing_slug`` with its current estimate; None when the
    crossing has no such queue. One query."""
    queue = (
        Queue.objects.filter(crossing__slug=crossing_slug, from_country=country)
        .select_related("crossing", "estimate")
        .first()
    )
    if queue is None:
        return None
    estimate = getattr(queue, "estimate", None)
    published = estimate if estimate is not None and estimate.published else None
    days = math.ceil(published.high_minutes / MINUTES_PER_DAY) if published else 0
    return ExitQueue(crossing_slug=crossing_slug, direction=queue.direction, estimate=published, queue_days=days)
