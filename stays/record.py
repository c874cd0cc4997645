"""The stay record a driver can show: entries and exits in a period with who recorded them, and the day counts.

A driver listed on Russia's registry of controlled persons by mistake needs to show, day by day, when they were
in the country and on what rule. The record is built here as a pure function over plain values (no ORM, no
clock): the recorded events with their provenance, the driver's facts and the rules. Every count comes from the
stays domain, the same assessment ``GET /api/v1/stays`` answers from:

- the stays are ``domain.stays_from_events`` (same pairing, same day order, the same events left out);
- the status at the end of the period is ``domain.assess_country`` on the period's last day;
- the days inside in the period are ``domain.Presence`` over the stays (a same-day exit and re-entry is one stay,
  and its shared day counts once).

Rendering (JSON in ``stays.api.mobile``, PDF in ``stays.record_pdf``) only presents these values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from stays import domain

REGISTRY_COUNTRIES = frozenset({"RU"})


@dataclass(frozen=True)
class RecordedEvent:
    """An entry or exit as recorded: the day, the crossing, the source and who recorded it when."""

    id: str
    country: str
    kind: str  # domain.ENTRY | domain.EXIT
    on: date
    source: str  # report | driver | dispatcher
    recorded_at: datetime
    recorded_by: str | None = None  # a person's name; None: the driver themself or a crossing report
    crossing: str | None = None  # slug
    crossing_names: tuple[str, str, str] | None = None  # en, ru, kk

    def crossing_name(self, language: str) -> str | None:
        """The crossing's name in ``language`` (en, ru, kk), else Russian, else English; None without one."""
        if self.crossing is None:
            return None
        names = self.crossing_names or ("", "", "")
        english, russian, kazakh = names
        chosen = {"kk": kazakh or russian, "ru": russian}.get(language[:2], "") or english
        return chosen or self.crossing

    def as_domain(self) -> domain.Event:
        return domain.Event(country=self.country, kind=self.kind, on=self.on)


@dataclass(frozen=True)
class RecordStay:
    """One recorded stay that reaches into the period.

    ``last_day``: its exit day, or the period's last day while the driver is still inside. ``days``: its days of
    stay up to ``last_day``; ``days_in_period``: those inside the period. A stay that begins on the day the
    previous one ended (out and back in on one day) ``continues_previous``: the domain reads both as one stay, and
    the shared day is counted with the earlier one only. ``rule``: the rule in force on ``last_day``."""

    entry: RecordedEvent
    exit: RecordedEvent | None
    last_day: date
    days: int
    days_in_period: int
    continues_previous: bool
    rule: domain.Rule | None


@dataclass(frozen=True)
class StayRecord:
    country: str
    period_from: date
    period_to: date
    driver_name: str
    citizenship: str
    stays: tuple[RecordStay, ...]
    events: tuple[RecordedEvent, ...]  # entries and exits dated in the period, in order
    not_counted: tuple[tuple[RecordedEvent, str], ...]  # events the history cannot place, with the domain's code
    days_in_period: int
    status: domain.CountryStatus  # on period_to
    regimes: tuple[domain.Regime, ...]  # the driver's regimes in force on period_to
    generated_at: datetime
    local_zone: str  # the IANA zone the record's local times are given in


def _days(first: date, last: date) -> int:
    return domain.Presence([(first.toordinal(), last.toordinal())]).count(first, last)


def stay_record_build(
    *,
    country: str,
    period_from: date,
    period_to: date,
    events: Sequence[RecordedEvent],
    driver: domain.DriverFacts,
    driver_name: str,
    rules: Sequence[domain.Rule],
    registry: domain.RegistryState,
    thresholds: domain.Thresholds,
    generated_at: datetime,
    local_zone: str,
) -> StayRecord:
    """The record of ``country`` from ``period_from`` to ``period_to`` (both included; the end is the date the
    status is assessed on). ``events``: every current event of the driver, in the order they were recorded on
    each day (date, then recording time), in any country (zones count days across countries)."""
    if period_from > period_to:
        raise ValueError("period_from is after period_to")
    ordered = sorted(events, key=lambda event: (event.on, event.recorded_at))
    history = [event.as_domain() for event in ordered]
    stays, problems = domain.stays_from_events(history, on=period_to)

    # Each stay's entry and exit as recorded: the domain pairs the same events in the same order.
    pool: dict[tuple[str, str, date], list[RecordedEvent]] = {}
    for event in ordered:
        if event.on <= period_to:
            pool.setdefault((event.country, event.kind, event.on), []).append(event)
    skipped: list[tuple[RecordedEvent, str]] = []
    for problem in problems:
        key = (problem.event.country, problem.event.kind, problem.event.on)
        # A problem event is the last of its kind that day (the domain pairs the earlier ones first).
        skipped.append((pool[key].pop(), problem.code))

    def take(kind: str, day: date) -> RecordedEvent:
        return pool[(country, kind, day)].pop(0)

    rows: list[RecordStay] = []
    previous_exit: date | None = None
    for stay in (item for item in stays if item.country == country):
        entry = take(domain.ENTRY, stay.entry)
        exit_event = take(domain.EXIT, stay.exit) if stay.exit is not None else None
        last = stay.exit or period_to
        continues = previous_exit is not None and previous_exit == stay.entry
        previous_exit = stay.exit
        if last < period_from:
            continue
        shared = 1 if continues else 0
        in_period = _days(max(stay.entry, period_from), last)
        rows.append(
            RecordStay(
                entry=entry,
                exit=exit_event,
                last_day=last,
                days=_days(stay.entry, last) - shared,
                days_in_period=in_period - (shared if stay.entry >= period_from else 0),
                continues_previous=continues,
                rule=domain.rule_in_force(rules=rules, country=country, driver=driver, day=last),
            )
        )

    presence = domain.Presence(
        (stay.entry.toordinal(), (stay.exit or period_to).toordinal()) for stay in stays if stay.country == country
    )
    status = domain.assess_country(
        country=country,
        driver=driver,
        events=history,
        rules=rules,
        on=period_to,
        registry=registry if country in REGISTRY_COUNTRIES else domain.RegistryState(),
        thresholds=thresholds,
    )
    return StayRecord(
        country=country,
        period_from=period_from,
        period_to=period_to,
        driver_name=driver_name,
        citizenship=driver.citizenship,
        stays=tuple(rows),
        events=tuple(event for event in ordered if event.country == country and period_from <= event.on <= period_to),
        not_counted=tuple(
            (event, code) for event, code in skipped if event.country == country and event.on >= period_from
        ),
        days_in_period=presence.count(period_from, period_to),
        status=status,
        regimes=tuple(regime for regime in driver.regimes if regime.active_on(period_to)),
        generated_at=generated_at,
        local_zone=local_zone,
    )
