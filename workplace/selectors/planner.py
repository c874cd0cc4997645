"""Reads for the trip planner: which drivers of a carrier may make a trip into a country entering on a date.

Planning a driver costs milliseconds to tens of milliseconds of pure computation (``stays.domain.plan`` searches
for the earliest possible entry), so the planner works a page at a time: the page is chosen and ordered in SQL
(by name or by the days left now), and only its drivers are planned. Each page costs the same few queries
whatever the fleet size; the CSV export walks the whole fleet in chunks.

Ordered by what the plans say (allowed, days to spare, earliest entry), the whole fleet is planned in four queries
and sorted before a page is cut; its plans are kept in the cache under a digest of their inputs, so paging and
sorting again cost the reads, not the planning.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import F, QuerySet

from carriers.models import Driver
from queues.models import Crossing, Estimate, Queue
from queues.selectors import forecast as forecast_selectors
from stays import domain
from stays import selectors as stay_selectors
from stays.models import DriverRegime, StayEvent

PLANNER_SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "days_left": (F("planner_days_left").asc(nulls_last=True), "name", "pk"),
    "-days_left": (F("planner_days_left").desc(nulls_last=True), "name", "pk"),
}
# Orders by what the plan answers: every driver of the fleet is planned first (see planner_rows_planned).
PLANNED_SORTS = ("allowed", "-allowed", "spare", "-spare", "earliest", "-earliest")
MINUTES_PER_DAY = 24 * 60
PLAN_CACHE_PREFIX = "workplace:plan:"
PLAN_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class TripQuery:
    """A trip into ``country``: the truck joins the entry queue on ``entry``, which is forecast to take
    ``entry_queue_days`` days before it is inside (0 when unknown: the queue stands outside the country, so they
    delay the stay, they do not count in it); it stays ``days`` days and then leaves through a queue forecast to
    take ``exit_queue_days`` more days in the country (0 when unknown)."""

    country: str
    entry: date
    days: int
    exit_queue_days: int = 0
    entry_queue_days: int = 0

    @property
    def stay_days(self) -> int:
        return self.days + self.exit_queue_days

    @property
    def stay_entry(self) -> date:
        """The first day inside the country."""
        return self.entry + timedelta(days=self.entry_queue_days)


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
    """A queue of the trip at the chosen crossing (into the country or out of it), its published estimate, and the
    days it is forecast to add (``queues.selectors.forecast.exit_queue_days``: a truck joining at noon of the day,
    through at the high end of the forecast); 0 days and no estimate when none is published."""

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


def planner_rows(
    *, drivers: Iterable[Driver], trip: TripQuery, as_of: date, id_query: QuerySet | None = None
) -> list[PlannerRow]:
    """Plans ``trip`` for each of ``drivers`` (a page of :func:`planner_queryset`). Three queries: their
    events, their regimes and the rules (``id_query``: the drivers' ids as a subquery, for a whole fleet)."""
    drivers = list(drivers)
    ids = id_query if id_query is not None else [driver.pk for driver in drivers]
    events: dict[int, list[domain.Event]] = defaultdict(list)
    for driver_id, country, kind, on in (
        StayEvent.objects.filter(driver_id__in=ids, deleted_at__isnull=True)
        .order_by("date", "created_at")
        .values_list("driver_id", "country", "kind", "date")
    ):
        events[driver_id].append(domain.Event(country=str(country), kind=kind, on=on))
    regimes: dict[int, list[domain.Regime]] = defaultdict(list)
    for regime in DriverRegime.objects.filter(driver_id__in=ids):
        regimes[regime.driver_id].append(
            domain.Regime(regime=regime.regime, valid_from=regime.valid_from, valid_to=regime.valid_to)
        )
    rules = stay_selectors.stay_rules_list()
    facts = {
        driver.pk: domain.DriverFacts(
            citizenship=str(driver.citizenship or "").upper(), regimes=tuple(regimes[driver.pk])
        )
        for driver in drivers
    }
    # A plan is a pure function of its inputs, so the plans of these drivers are kept in the cache as one entry
    # under a digest of all of them: paging through a plan-sorted fleet or sorting it again plans nobody twice,
    # and any changed history, regime or rule is a new key (never stale). Drivers with the same facts and history
    # (a fleet's new drivers, say) share one plan.
    context = repr(([_stable(rule) for rule in rules], trip, as_of))
    digests = {
        driver.pk: hashlib.sha256(f"{context}|{facts[driver.pk]!r}|{tuple(events[driver.pk])!r}".encode()).hexdigest()
        for driver in drivers
    }
    fleet_key = PLAN_CACHE_PREFIX + hashlib.sha256("".join(sorted(digests.values())).encode()).hexdigest()
    plans: dict[str, domain.Plan] = (cache.get(fleet_key) or {}) if drivers else {}
    known = len(plans)
    rows = [
        _row(
            driver=driver,
            facts=facts[driver.pk],
            events=events[driver.pk],
            rules=rules,
            trip=trip,
            as_of=as_of,
            key=digests[driver.pk],
            plans=plans,
        )
        for driver in drivers
    ]
    if len(plans) > known:
        cache.set(fleet_key, plans, PLAN_CACHE_SECONDS)
    return rows


def _stable(rule: domain.Rule) -> tuple:
    """A rule's fields with its sets sorted: the same text in every process (a set's order is not)."""
    return tuple(
        sorted(value) if isinstance(value, frozenset) else value
        for value in (getattr(rule, field.name) for field in dataclasses.fields(rule))
    )


def _row(
    *,
    driver: Driver,
    facts: domain.DriverFacts,
    events: list[domain.Event],
    rules: list[domain.Rule],
    trip: TripQuery,
    as_of: date,
    key: str,
    plans: dict[str, domain.Plan],
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
    if domain.rule_in_force(rules=rules, country=trip.country, driver=facts, day=trip.stay_entry) is None:
        # No rule applies (no citizenship recorded, a citizen of the country, or no rule for them): the
        # planner cannot vouch for the trip, so it says so instead of calling it allowed.
        return PlannerRow(**common, rule_missing=True, allowed=False, max_days=0, spare_days=None, earliest_entry=None)
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = domain.plan(
            country=trip.country,
            entry=trip.stay_entry,
            days=trip.stay_days,
            driver=facts,
            events=events,
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


def _planned_key(sort: str):
    """The ordering of a planned sort; drivers the planner cannot vouch for (no rule) always come last."""
    field = sort.lstrip("-")
    descending = sort.startswith("-")

    def key(row: PlannerRow):
        if field == "allowed":
            value: tuple = (not row.allowed,)  # allowed first
        elif field == "spare":
            value = (row.spare_days if row.spare_days is not None else -1,)
        else:  # earliest: the allowed enter on the trip's date; no date within two years is the latest of all
            value = (row.earliest_entry is None, row.earliest_entry or date.max)
        return value

    def ordered(rows: list[PlannerRow]) -> list[PlannerRow]:
        rows = sorted(rows, key=lambda row: (row.name, row.driver_id))
        rows.sort(key=key, reverse=descending)  # stable: ties stay in name order
        rows.sort(key=lambda row: row.rule_missing)
        return rows

    return ordered


def planner_rows_planned(*, drivers: QuerySet[Driver], trip: TripQuery, as_of: date, sort: str) -> list[PlannerRow]:
    """Every driver of ``drivers`` planned, in ``sort`` order (one of ``PLANNED_SORTS``: allowed first or last,
    most or fewest days to spare, earliest possible entry first or last; ties by name). Four queries whatever the
    fleet size: the drivers, all their events, their regimes and the rules."""
    queryset = planner_queryset(drivers=drivers, country=trip.country)
    rows = planner_rows(drivers=queryset, trip=trip, as_of=as_of, id_query=drivers.values("pk"))
    return _planned_key(sort)(rows)


def planner_rows_all(
    *, drivers: QuerySet[Driver], trip: TripQuery, as_of: date, sort: str = "name", chunk: int = 200
) -> Iterator[PlannerRow]:
    """Every driver's row, ``chunk`` drivers at a time (for the CSV export)."""
    queryset = planner_queryset(drivers=drivers, country=trip.country, sort=sort)
    total = queryset.count()
    for start in range(0, total, chunk):
        yield from planner_rows(drivers=queryset[start : start + chunk], trip=trip, as_of=as_of)


def trip_queue_get(*, crossing_slug: str, from_country: str, day: date, now: datetime) -> ExitQueue | None:
    """The queue out of ``from_country`` at the crossing ``crossing_slug`` joined on ``day``, with the days it is
    forecast to take (see :class:`ExitQueue`); None when the crossing has no such queue. Four queries at most."""
    queue = (
        Queue.objects.filter(crossing__slug=crossing_slug, from_country=from_country)
        .select_related("crossing", "estimate")
        .first()
    )
    if queue is None:
        return None
    estimate = getattr(queue, "estimate", None)
    published = estimate if estimate is not None and estimate.published else None
    days = (
        forecast_selectors.exit_queue_days(country=from_country, exit_day=day, crossing=crossing_slug, now=now)
        if published
        else None
    )
    return ExitQueue(crossing_slug=crossing_slug, direction=queue.direction, estimate=published, queue_days=days or 0)


def trip_queues_get(
    *, country: str, entry: date, days: int, entry_crossing: str | None, exit_crossing: str | None, now: datetime
) -> tuple[ExitQueue | None, ExitQueue | None]:
    """The entry queue (into ``country`` at ``entry_crossing``, joined on ``entry``) and the exit queue (out of it
    at ``exit_crossing``, joined on the trip's last day, after the entry queue's days), each None when not chosen."""
    entering = None
    if entry_crossing:
        crossing = Crossing.objects.filter(slug=entry_crossing).values("country_a", "country_b").first()
        if crossing is not None:
            other = str(crossing["country_b"] if str(crossing["country_a"]) == country else crossing["country_a"])
            entering = trip_queue_get(crossing_slug=entry_crossing, from_country=other, day=entry, now=now)
    leaving = None
    if exit_crossing:
        inside = entry + timedelta(days=entering.queue_days if entering else 0)
        leaving = trip_queue_get(
            crossing_slug=exit_crossing, from_country=country, day=inside + timedelta(days=days - 1), now=now
        )
    return entering, leaving
