"""Reads for stays: domain values built from the database, statuses and plans, lists for the API and admin."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from carriers.models import Driver
from queues.catalogue import crossing_local_date, crossing_time_zone
from queues.models import Crossing
from stays import domain, record
from stays.models import DriverRegime, RegistryCheck, StayEvent, StayRule, StayStatusSnapshot


def stay_rule_to_domain(rule: StayRule) -> domain.Rule:
    return domain.Rule(
        id=rule.pk,
        name=rule.name,
        host_countries=frozenset(code.upper() for code in rule.host_countries or []),
        citizenships=frozenset(code.upper() for code in rule.citizenships or []),
        regime=rule.regime,
        limit_days=rule.limit_days,
        window=rule.window,
        window_days=rule.window_days,
        continuous_cap_days=rule.continuous_cap_days,
        per_entry_cap_days=rule.per_entry_cap_days,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        source=rule.source,
        active=rule.active,
    )


def stay_rules_list() -> list[domain.Rule]:
    """Every active rule as a domain value (the domain picks the one in force on each day)."""
    return [stay_rule_to_domain(rule) for rule in StayRule.objects.filter(active=True).order_by("pk")]


def stay_events_list(*, driver: Driver) -> QuerySet[StayEvent]:
    """The driver's current (not corrected away) events, with their crossing."""
    return StayEvent.objects.filter(driver=driver, deleted_at__isnull=True).select_related("crossing")


def stay_local_today(*, events: Iterable[StayEvent], at: datetime) -> date:
    """The driver's "today" for the stay status: the local date at ``at`` where their history last puts them.

    After an entry: the entered country's date, in the zone of its side of that crossing (else the country's own
    zone). After an exit: the date on the other side of that crossing (without a crossing, the left country's
    zone). UTC for a driver with no events. ``events`` need their crossing loaded."""
    ordered = sorted(events, key=lambda item: (item.date, item.created_at))
    if not ordered:
        return at.astimezone(UTC).date()
    last = ordered[-1]
    country = str(last.country).upper()
    crossing = last.crossing
    if last.kind == StayEvent.Kind.ENTRY or crossing is None:
        return crossing_local_date(crossing=crossing, country=country, at=at)
    other = str(crossing.country_b) if str(crossing.country_a).upper() == country else str(crossing.country_a)
    return crossing_local_date(crossing=crossing, country=other, at=at)


def stay_driver_today(*, driver: Driver, at: datetime) -> date:
    """``stay_local_today`` for one driver."""
    return stay_local_today(events=stay_events_list(driver=driver), at=at)


def stay_country_today(*, country: str, at: datetime, crossing: Crossing | None = None) -> date:
    """Today in ``country`` at ``at``: at ``crossing``'s side when given, else the latest local date anywhere in
    the country (its own zone and the zones of its crossings' sides), so a true local today is never "future"."""
    if crossing is not None:
        return crossing_local_date(crossing=crossing, country=country, at=at)
    country = country.upper()
    sides = Crossing.objects.filter(Q(country_a=country) | Q(country_b=country))
    days = {crossing_local_date(crossing=None, country=country, at=at)}
    days |= {crossing_local_date(crossing=side, country=country, at=at) for side in sides}
    return max(days)


def _events_to_domain(events: Iterable[StayEvent]) -> list[domain.Event]:
    ordered = sorted(events, key=lambda event: (event.date, event.created_at))
    return [domain.Event(country=str(event.country), kind=event.kind, on=event.date) for event in ordered]


def _regimes_to_domain(regimes: Iterable[DriverRegime]) -> tuple[domain.Regime, ...]:
    return tuple(
        domain.Regime(regime=item.regime, valid_from=item.valid_from, valid_to=item.valid_to) for item in regimes
    )


def _registry_to_domain(checks: Sequence[RegistryCheck]) -> domain.RegistryState:
    if not checks:
        return domain.RegistryState()
    latest = max(checks, key=lambda check: (check.checked_on, check.created_at))
    return domain.RegistryState(status=latest.status, checked_on=latest.checked_on)


def stay_thresholds() -> domain.Thresholds:
    return domain.Thresholds(watch_days=settings.STAY_RISK_WATCH_DAYS, high_days=settings.STAY_RISK_HIGH_DAYS)


def stay_driver_facts(*, driver: Driver) -> domain.DriverFacts:
    return domain.DriverFacts(
        citizenship=str(driver.citizenship or "").upper(),
        regimes=_regimes_to_domain(DriverRegime.objects.filter(driver=driver)),
    )


def stay_domain_events(*, driver: Driver) -> list[domain.Event]:
    return _events_to_domain(stay_events_list(driver=driver))


def registry_state_get(*, driver: Driver) -> domain.RegistryState:
    latest = RegistryCheck.objects.filter(driver=driver).order_by("-checked_on", "-created_at")[:1]
    return _registry_to_domain(list(latest))


def stay_status_get(*, driver: Driver, on: date, events: Sequence[StayEvent] | None = None) -> domain.StayStatus:
    """The contract's <stay status> for ``driver`` on ``on``; ``events``: the driver's ``stay_events_list`` when
    already read."""
    return domain.assess(
        driver=stay_driver_facts(driver=driver),
        events=stay_domain_events(driver=driver) if events is None else _events_to_domain(events),
        rules=stay_rules_list(),
        on=on,
        registry=registry_state_get(driver=driver),
        thresholds=stay_thresholds(),
    )


def stay_plan_get(*, driver: Driver, country: str, entry: date, days: int, as_of: date) -> domain.Plan:
    """The contract's <plan> for a stay of ``days`` days in ``country`` entering on ``entry``."""
    return domain.plan(
        country=country,
        entry=entry,
        days=days,
        driver=stay_driver_facts(driver=driver),
        events=stay_domain_events(driver=driver),
        rules=stay_rules_list(),
        as_of=as_of,
    )


def stay_statuses_for_drivers(
    *, driver_ids: Sequence[int], on: date | None, at: datetime
) -> Iterator[tuple[Driver, domain.StayStatus]]:
    """Statuses for a chunk of drivers in a fixed number of queries (events, regimes, checks prefetched), on ``on``
    or, when None, on each driver's local today at ``at`` (``stay_local_today``)."""
    rules = stay_rules_list()
    thresholds = stay_thresholds()
    drivers = (
        Driver.objects.filter(pk__in=driver_ids)
        .select_related("carrier")
        .prefetch_related(
            Prefetch(
                "stay_events",
                queryset=StayEvent.objects.filter(deleted_at__isnull=True).select_related("crossing"),
                to_attr="live_events",
            ),
            Prefetch("regimes", to_attr="all_regimes"),
            Prefetch("registry_checks", to_attr="all_checks"),
        )
        .order_by("pk")
    )
    for driver in drivers:
        status = domain.assess(
            driver=domain.DriverFacts(
                citizenship=str(driver.citizenship or "").upper(), regimes=_regimes_to_domain(driver.all_regimes)
            ),
            events=_events_to_domain(driver.live_events),
            rules=rules,
            on=on or stay_local_today(events=driver.live_events, at=at),
            registry=_registry_to_domain(driver.all_checks),
            thresholds=thresholds,
        )
        yield driver, status


def driver_id_chunks(*, size: int) -> Iterator[list[int]]:
    """Every driver id, in chunks of ``size`` (keyset pagination: cheap on a large table)."""
    last = 0
    while True:
        chunk = list(Driver.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def snapshot_subquery(*, country: str, field: str) -> Subquery:
    """A driver's snapshot ``field`` in ``country``, for annotating driver querysets (no N+1)."""
    return Subquery(StayStatusSnapshot.objects.filter(driver=OuterRef("pk"), country=country).values(field)[:1])


def stay_exit_limit_get(*, driver: Driver, country: str, on: date) -> tuple[bool, date | None]:
    """``(limited, latest_exit)``: whether the driver is in ``country`` on ``on`` under a stay limit, and the last
    day they may leave it (None while limited: the stay is already over the limit)."""
    status = stay_status_get(driver=driver, on=on).country(country)
    if status is None or status.rule is None or not status.in_country:
        return False, None
    return True, status.latest_exit


def _recorded_event(event: StayEvent, *, driver: Driver, carrier_id: int | None = None) -> record.RecordedEvent:
    user = event.created_by
    by = None
    if user is not None and user.pk != driver.user_id:
        by = user.get_full_name() or user.get_username()
        dispatcher = getattr(user, "dispatcher", None)
        if carrier_id is not None and (dispatcher is None or dispatcher.carrier_id != carrier_id):
            by = None  # another carrier's (or an operator's) staff: their name is not this carrier's to see
    crossing = event.crossing
    return record.RecordedEvent(
        id=str(event.pk),
        country=str(event.country).upper(),
        kind=event.kind,
        on=event.date,
        source=event.source,
        recorded_at=event.created_at,
        recorded_by=by,
        crossing=crossing.slug if crossing is not None else None,
        crossing_names=(crossing.name, crossing.name_ru, crossing.name_kk) if crossing is not None else None,
    )


RECORD_DEFAULT_DAYS = 365


def stay_record_period(
    *, driver: Driver, at: datetime, period_from: date | None = None, period_to: date | None = None
) -> tuple[date, date, date]:
    """``(from, to, today)`` of a record: ``to`` defaults to the driver's local today, ``from`` to a year back
    (``to`` - 364 days, not before 2000-01-01)."""
    today = stay_driver_today(driver=driver, at=at)
    end = period_to or today
    start = period_from or max(date(2000, 1, 1), end - timedelta(days=RECORD_DEFAULT_DAYS - 1))
    return start, end, today


def stay_record_get(
    *, driver: Driver, country: str, period_from: date, period_to: date, at: datetime, carrier_id: int | None = None
) -> record.StayRecord:
    """The driver's stay record of ``country`` for the period, generated at ``at`` (``stays.record``).

    ``carrier_id`` (a dispatcher's carrier) names only that carrier's dispatchers as who recorded an event and lists
    only the regimes that carrier recorded: what another carrier recorded still counts in the day counts and the
    status, as on the driver page, but its name and its regimes are not this carrier's to see.
    """
    events = list(stay_events_list(driver=driver).select_related("created_by", "created_by__dispatcher"))
    own = [event for event in events if str(event.country).upper() == country and event.date <= period_to]
    last = max(own, key=lambda event: (event.date, event.created_at), default=None)
    built = record.stay_record_build(
        country=country,
        period_from=period_from,
        period_to=period_to,
        events=[_recorded_event(event, driver=driver, carrier_id=carrier_id) for event in events],
        driver=stay_driver_facts(driver=driver),
        driver_name=driver.name,
        rules=stay_rules_list(),
        registry=registry_state_get(driver=driver),
        thresholds=stay_thresholds(),
        generated_at=at,
        local_zone=crossing_time_zone(crossing=last.crossing if last else None, country=country),
    )
    if carrier_id is None:
        return built
    own_regimes = set(_regimes_to_domain(DriverRegime.objects.filter(driver=driver, carrier_id=carrier_id)))
    return dataclasses.replace(built, regimes=tuple(regime for regime in built.regimes if regime in own_regimes))
