"""Days of stay, limits, risk and planning: pure functions over plain values (no ORM, no clock).

Counting convention (the one place it is said): a stay runs from its entry day to its exit day and **both
days count**; an entry and an exit on the same day count as one day. An open stay (an entry without an exit)
counts up to the assessment date. Inclusive counting is the conservative choice: it never shows a driver
more days than the strictest reading of the law would give.

A rule applies to a zone of host countries (days in any country of the zone are summed), a group of
citizenships and optionally a driver regime. The rule in force on each day is the one applied to that day:
compliance on day D is checked against the rule effective on D, so a stay that crosses a change of law
(e.g. 2025-01-01 in Russia) is judged by the old rule before the change and by the new one after it.

A day D complies with its rule when
- the days of stay in the rule's window ending on D do not exceed ``limit_days`` (calendar year: 1 January
  of D's year to D; rolling: the ``window_days`` days ending on D, i.e. [D - 179, D] for 180 days);
- the continuous stay that D belongs to, counted from its first day (across New Year), is not longer than
  ``continuous_cap_days`` nor ``per_entry_cap_days``.
Stays that overlap or touch on the same day (out and back in on one day, or moving within a zone) are one
continuous stay: again the conservative reading.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

ENTRY = "entry"
EXIT = "exit"
CALENDAR_YEAR = "calendar_year"
ROLLING = "rolling"

RISK_RANK = {"ok": 0, "watch": 1, "high": 2, "overstay": 3, "listed": 4}

# Risk reason codes (stable, machine-readable; the app translates them).
REASON_REGISTRY_LISTED = "registry_listed"
REASON_OVER_LIMIT = "over_limit"
REASON_OVER_CONTINUOUS_CAP = "over_continuous_cap"
REASON_OVER_PER_ENTRY_CAP = "over_per_entry_cap"
REASON_DAYS_LEFT_HIGH = "days_left_at_high_threshold"
REASON_DAYS_LEFT_WATCH = "days_left_at_watch_threshold"

# How far ahead latest exit and planning look. A stay of up to 365 days can be planned; the search for an
# earliest entry looks two years ahead (every seeded rule frees its days within a year and a half).
PLAN_MAX_DAYS = 365
SEARCH_HORIZON_DAYS = 2 * 366


# --- Values ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """An entry into or an exit from ``country`` on ``on``."""

    country: str
    kind: str  # ENTRY | EXIT
    on: date


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    host_countries: frozenset[str]
    citizenships: frozenset[str]  # empty: any citizenship not covered by a more specific rule
    limit_days: int
    window: str  # CALENDAR_YEAR | ROLLING
    window_days: int | None = None
    continuous_cap_days: int | None = None
    per_entry_cap_days: int | None = None
    regime: str = ""
    effective_from: date | None = None
    effective_to: date | None = None
    source: str = ""
    active: bool = True

    def in_force_on(self, day: date) -> bool:
        return (
            self.active
            and (self.effective_from is None or self.effective_from <= day)
            and (self.effective_to is None or day <= self.effective_to)
        )

    def applies_to(self, *, country: str, citizenship: str) -> bool:
        """Host country in the zone, citizenship in the group; never a rule over the driver's own country."""
        return (
            country in self.host_countries
            and citizenship not in self.host_countries
            and (not self.citizenships or citizenship in self.citizenships)
        )

    def window_start(self, day: date) -> date:
        if self.window == CALENDAR_YEAR:
            return date(day.year, 1, 1)
        return day - timedelta(days=(self.window_days or 1) - 1)

    def window_end(self, day: date) -> date:
        return date(day.year, 12, 31) if self.window == CALENDAR_YEAR else day


@dataclass(frozen=True)
class Regime:
    """A regime or exemption a driver has (e.g. ``ruID``), valid between two dates (inclusive, open-ended)."""

    regime: str
    valid_from: date | None = None
    valid_to: date | None = None

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class RegistryState:
    status: str = "unknown"  # unknown | clear | listed
    checked_on: date | None = None


@dataclass(frozen=True)
class Thresholds:
    watch_days: int = 15
    high_days: int = 5


@dataclass(frozen=True)
class DriverFacts:
    """What the assessment needs to know about a driver."""

    citizenship: str
    regimes: tuple[Regime, ...] = ()


@dataclass(frozen=True)
class CountryStatus:
    country: str
    rule: Rule
    in_country: bool
    days_used: int
    days_left: int
    window_start: date
    window_end: date
    latest_exit: date | None
    overstay_days: int
    risk: str
    risk_reasons: tuple[str, ...]
    registry: RegistryState
    # The stay period a risk notification belongs to (the calendar year, or the latest stay for rolling
    # rules): a level is notified once per period.
    period: str

    @property
    def risk_rank(self) -> int:
        return RISK_RANK[self.risk]


@dataclass(frozen=True)
class StayStatus:
    on: date
    countries: tuple[CountryStatus, ...] = field(default_factory=tuple)

    def country(self, code: str) -> CountryStatus | None:
        return next((item for item in self.countries if item.country == code), None)


@dataclass(frozen=True)
class Plan:
    country: str
    entry: date
    days: int
    allowed: bool
    max_days: int
    earliest_entry: date | None  # None: no entry within the search horizon allows a stay that long


# --- Stays from events -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Stay:
    country: str
    entry: date
    exit: date | None  # None: still in the country


@dataclass(frozen=True)
class SequenceProblem:
    event: Event
    code: str  # "exit_without_entry" | "entry_while_in_country"


def stays_from_events(events: Iterable[Event], *, on: date) -> tuple[list[Stay], list[SequenceProblem]]:
    """Pairs entries with exits per country, ignoring events after ``on``.

    Events of one day are taken in the order that makes sense: while in the country an exit comes first,
    while out of it an entry. An exit with no open entry and a second entry while a stay is open are
    reported as problems and skipped.
    """
    by_country: dict[str, dict[date, list[Event]]] = {}
    for event in events:
        if event.on <= on:
            by_country.setdefault(event.country, {}).setdefault(event.on, []).append(event)
    stays: list[Stay] = []
    problems: list[SequenceProblem] = []
    for country, by_day in by_country.items():
        open_entry: date | None = None
        for day in sorted(by_day):
            pending = list(by_day[day])
            while pending:
                wanted = EXIT if open_entry is not None else ENTRY
                index = next((i for i, event in enumerate(pending) if event.kind == wanted), None)
                if index is None:
                    for event in pending:
                        code = "exit_without_entry" if event.kind == EXIT else "entry_while_in_country"
                        problems.append(SequenceProblem(event=event, code=code))
                    break
                event = pending.pop(index)
                if event.kind == ENTRY:
                    open_entry = day
                else:
                    stays.append(Stay(country=country, entry=open_entry, exit=day))  # type: ignore[arg-type]
                    open_entry = None
        if open_entry is not None:
            stays.append(Stay(country=country, entry=open_entry, exit=None))
    stays.sort(key=lambda stay: (stay.entry, stay.country))
    return stays, problems


def event_sequence_problems(*, existing: Sequence[Event], new: Event, today: date) -> dict[str, list[str]]:
    """Why ``new`` cannot be added to ``existing`` (field -> problem codes); empty when it can.

    Codes: ``future_date``, ``exit_without_entry``, ``entry_while_in_country``.
    """
    if new.on > today:
        return {"date": ["future_date"]}
    far_future = date.max
    _, before = stays_from_events(existing, on=far_future)
    _, after = stays_from_events([*existing, new], on=far_future)
    added = [problem for problem in after if problem not in before]
    if not added:
        return {}
    return {"kind": sorted({problem.code for problem in added})}


# --- Presence: days of stay as merged inclusive intervals ------------------------------------------
class Presence:
    """Days of stay in a zone as sorted, merged, inclusive day intervals (ordinals)."""

    def __init__(self, intervals: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:  # overlapping or the same day: one continuous stay
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]
        self.prefix = [0]
        for start, end in merged:
            self.prefix.append(self.prefix[-1] + end - start + 1)

    def _upto(self, day: int) -> int:
        index = bisect_right(self.starts, day)
        if index == 0:
            return 0
        return self.prefix[index] - max(0, self.ends[index - 1] - day)

    def count(self, first: date, last: date) -> int:
        """Days of stay in [first, last], both included."""
        if last < first:
            return 0
        return self._upto(last.toordinal()) - self._upto(first.toordinal() - 1)

    def stay_start(self, day: date) -> date | None:
        """First day of the continuous stay that includes ``day``; None if ``day`` is not a day of stay."""
        ordinal = day.toordinal()
        index = bisect_right(self.starts, ordinal) - 1
        if index >= 0 and self.ends[index] >= ordinal:
            return date.fromordinal(self.starts[index])
        return None

    def days(self, first: date, last: date) -> Iterable[date]:
        """The days of stay in [first, last], in order."""
        lo, hi = first.toordinal(), last.toordinal()
        for start, end in zip(self.starts, self.ends, strict=True):
            for ordinal in range(max(start, lo), min(end, hi) + 1):
                yield date.fromordinal(ordinal)


def _intervals(stays: Iterable[Stay], zone: frozenset[str], until: date) -> list[tuple[int, int]]:
    return [
        (stay.entry.toordinal(), (stay.exit or until).toordinal())
        for stay in stays
        if stay.country in zone and stay.entry <= until
    ]


# --- Rule selection --------------------------------------------------------------------------------
def rule_in_force(*, rules: Sequence[Rule], country: str, driver: DriverFacts, day: date) -> Rule | None:
    """The rule applied to ``driver`` in ``country`` on ``day``.

    A regime rule wins when the driver holds that regime on ``day``; otherwise the general rules compete.
    Among equals the most specific wins: an explicit citizenship group over "any citizenship", a larger
    zone over a smaller one (a zone is switched on deliberately), then the latest effective date, then id.
    """
    candidates = [
        rule
        for rule in rules
        if rule.in_force_on(day) and rule.applies_to(country=country, citizenship=driver.citizenship)
    ]
    held = {regime.regime for regime in driver.regimes if regime.active_on(day)}
    regime_rules = [rule for rule in candidates if rule.regime and rule.regime in held]
    pool = regime_rules or [rule for rule in candidates if not rule.regime]
    if not pool:
        return None
    return max(
        pool,
        key=lambda rule: (bool(rule.citizenships), len(rule.host_countries), rule.effective_from or date.min, rule.id),
    )


class _Assessor:
    """Checks days against the rule in force on each of them, for one driver and one country."""

    def __init__(self, *, rules: Sequence[Rule], country: str, driver: DriverFacts, stays: Sequence[Stay]) -> None:
        self.rules = rules
        self.country = country
        self.driver = driver
        self.stays = stays
        self._rule_cache: dict[date, Rule | None] = {}

    def rule(self, day: date) -> Rule | None:
        if day not in self._rule_cache:
            self._rule_cache[day] = rule_in_force(rules=self.rules, country=self.country, driver=self.driver, day=day)
        return self._rule_cache[day]

    def presence(self, zone: frozenset[str], *, until: date, extra: tuple[date, date] | None = None) -> Presence:
        intervals = _intervals(self.stays, zone, until)
        if extra is not None:
            intervals.append((extra[0].toordinal(), extra[1].toordinal()))
        return Presence(intervals)

    @staticmethod
    def excess(presence: Presence, day: date, rule: Rule) -> tuple[int, tuple[str, ...]]:
        """Days over the rule on ``day`` (0 when it complies) and the reasons; ``day`` must be a day of stay."""
        over: list[tuple[int, str]] = []
        used = presence.count(rule.window_start(day), day)
        over.append((used - rule.limit_days, REASON_OVER_LIMIT))
        start = presence.stay_start(day)
        if start is not None:
            run = (day - start).days + 1
            if rule.continuous_cap_days is not None:
                over.append((run - rule.continuous_cap_days, REASON_OVER_CONTINUOUS_CAP))
            if rule.per_entry_cap_days is not None:
                over.append((run - rule.per_entry_cap_days, REASON_OVER_PER_ENTRY_CAP))
        worst = max(amount for amount, _ in over)
        if worst <= 0:
            return 0, ()
        return worst, tuple(reason for amount, reason in over if amount > 0)

    def longest_from(self, presence_for: Callable[[frozenset[str]], Presence], first: date, limit: int) -> int:
        """How many consecutive days from ``first`` comply, with the driver present on all of them (≤ limit).

        ``presence_for(zone)`` gives the days of stay in a zone including the days being tried.
        """
        cache: dict[frozenset[str], Presence] = {}
        for offset in range(limit):
            day = first + timedelta(days=offset)
            rule = self.rule(day)
            if rule is None:
                continue
            if rule.host_countries not in cache:
                cache[rule.host_countries] = presence_for(rule.host_countries)
            if self.excess(cache[rule.host_countries], day, rule)[0] > 0:
                return offset
        return limit


# --- Status ----------------------------------------------------------------------------------------
def assess_country(
    *,
    country: str,
    driver: DriverFacts,
    events: Sequence[Event],
    rules: Sequence[Rule],
    on: date,
    registry: RegistryState,
    thresholds: Thresholds,
) -> CountryStatus | None:
    """The status in ``country`` on ``on``; None when no rule applies to the driver there on that day."""
    rule = rule_in_force(rules=rules, country=country, driver=driver, day=on)
    if rule is None:
        return None
    stays, _ = stays_from_events(events, on=on)
    assessor = _Assessor(rules=rules, country=country, driver=driver, stays=stays)
    zone = rule.host_countries
    presence = assessor.presence(zone, until=on)
    window_start, window_end = rule.window_start(on), rule.window_end(on)
    in_country = any(stay.country == country and stay.exit is None for stay in stays)
    days_used = presence.count(window_start, min(window_end, on))

    run = 0
    if in_country:
        start = presence.stay_start(on)
        run = (on - start).days + 1 if start is not None else 0
    left = [rule.limit_days - days_used]
    if in_country:
        left += [cap - run for cap in (rule.continuous_cap_days, rule.per_entry_cap_days) if cap is not None]
    days_left = max(0, min(left))

    # Overstay: the worst excess on any day of stay in the window so far, each day by its own rule.
    overstay_days = 0
    over_reasons: set[str] = set()
    presence_by_zone = {zone: presence}
    for day in presence.days(window_start, on):
        day_rule = assessor.rule(day)
        if day_rule is None:
            continue
        if day_rule.host_countries not in presence_by_zone:
            presence_by_zone[day_rule.host_countries] = assessor.presence(day_rule.host_countries, until=on)
        amount, reasons = assessor.excess(presence_by_zone[day_rule.host_countries], day, day_rule)
        if amount > 0:
            overstay_days = max(overstay_days, amount)
            over_reasons.update(reasons)

    latest_exit: date | None = None
    if in_country and assessor.excess(presence, on, rule)[0] == 0:
        # Staying on: the current stay continues from today (same interval, so the continuous stay goes on).
        staying_on = (on, on + timedelta(days=SEARCH_HORIZON_DAYS))
        complying = assessor.longest_from(
            lambda zone_key: assessor.presence(zone_key, until=on, extra=staying_on),
            on + timedelta(days=1),
            SEARCH_HORIZON_DAYS,
        )
        latest_exit = on + timedelta(days=complying)

    risk, reasons = _risk(
        days_left=days_left,
        overstay_days=overstay_days,
        over_reasons=over_reasons,
        registry=registry,
        thresholds=thresholds,
    )
    if rule.window == CALENDAR_YEAR:
        period = str(on.year)
    else:
        latest = max((stay.entry for stay in stays if stay.country in zone), default=window_start)
        period = latest.isoformat()
    return CountryStatus(
        country=country,
        rule=rule,
        in_country=in_country,
        days_used=days_used,
        days_left=days_left,
        window_start=window_start,
        window_end=window_end,
        latest_exit=latest_exit,
        overstay_days=overstay_days,
        risk=risk,
        risk_reasons=reasons,
        registry=registry,
        period=period,
    )


def _risk(
    *, days_left: int, overstay_days: int, over_reasons: set[str], registry: RegistryState, thresholds: Thresholds
) -> tuple[str, tuple[str, ...]]:
    reasons: list[str] = []
    if registry.status == "listed":
        reasons.append(REASON_REGISTRY_LISTED)
    reasons += sorted(over_reasons)
    if not over_reasons:
        if days_left <= thresholds.high_days:
            reasons.append(REASON_DAYS_LEFT_HIGH)
        elif days_left <= thresholds.watch_days:
            reasons.append(REASON_DAYS_LEFT_WATCH)
    if registry.status == "listed":
        level = "listed"
    elif overstay_days > 0:
        level = "overstay"
    elif days_left <= thresholds.high_days:
        level = "high"
    elif days_left <= thresholds.watch_days:
        level = "watch"
    else:
        level = "ok"
    return level, tuple(reasons)


def countries_with_rules(*, rules: Sequence[Rule], driver: DriverFacts, on: date) -> list[str]:
    """Every host country where some rule applies to ``driver`` on ``on``, sorted."""
    codes = {code for rule in rules if rule.in_force_on(on) for code in rule.host_countries}
    return sorted(code for code in codes if rule_in_force(rules=rules, country=code, driver=driver, day=on))


def assess(
    *,
    driver: DriverFacts,
    events: Sequence[Event],
    rules: Sequence[Rule],
    on: date,
    registry: RegistryState | None = None,
    registry_countries: frozenset[str] = frozenset({"RU"}),
    thresholds: Thresholds | None = None,
) -> StayStatus:
    """The contract's <stay status> on ``on``: one entry per country where a rule applies to the driver.

    ``registry`` is the latest check of Russia's registry; it counts for ``registry_countries`` only and a
    ``listed`` result overrides every other risk level there.
    """
    registry = registry or RegistryState()
    thresholds = thresholds or Thresholds()
    statuses = []
    for country in countries_with_rules(rules=rules, driver=driver, on=on):
        status = assess_country(
            country=country,
            driver=driver,
            events=events,
            rules=rules,
            on=on,
            registry=registry if country in registry_countries else RegistryState(),
            thresholds=thresholds,
        )
        if status is not None:
            statuses.append(status)
    return StayStatus(on=on, countries=tuple(statuses))


# --- Planning --------------------------------------------------------------------------------------
def _max_days(*, assessor: _Assessor, stays_before: Sequence[Stay], entry: date, as_of: date, limit: int) -> int:
    last = entry + timedelta(days=limit - 1)

    def presence_for(zone: frozenset[str]) -> Presence:
        # Days of stay known before the trip (an open stay up to as_of); from the entry day on, the trip itself.
        intervals = _intervals(stays_before, zone, min(as_of, entry - timedelta(days=1)))
        clipped = [(start, min(end, entry.toordinal() - 1)) for start, end in intervals if start < entry.toordinal()]
        clipped.append((entry.toordinal(), last.toordinal()))
        return Presence(clipped)

    return assessor.longest_from(presence_for, entry, limit)


def _longest_possible_stay(assessor: _Assessor, first: date, last: date) -> int:
    """An upper bound on any single stay between two dates, from the rules alone (a cheap search cut-off)."""
    bound = 0
    day = first
    while day <= last:
        rule = assessor.rule(day)
        if rule is None:
            return PLAN_MAX_DAYS  # a day without a rule: no bound
        caps = [cap for cap in (rule.continuous_cap_days, rule.per_entry_cap_days) if cap is not None]
        if rule.window == ROLLING and (rule.window_days or 0) > rule.limit_days:
            caps.append(rule.limit_days)
        elif rule.window == CALENDAR_YEAR:
            caps.append(2 * rule.limit_days)  # at most the limit in each of the two years a stay may touch
        bound = max(bound, min(caps) if caps else PLAN_MAX_DAYS)
        day += timedelta(days=1)
    return bound


def plan(
    *,
    country: str,
    entry: date,
    days: int,
    driver: DriverFacts,
    events: Sequence[Event],
    rules: Sequence[Rule],
    as_of: date,
) -> Plan:
    """The contract's <plan>: may the driver enter ``country`` on ``entry`` and stay ``days`` days
    (``entry`` is day 1, so the stay's last day is ``entry + days - 1``)?

    Known days of stay are those before ``entry`` (an open stay counts up to ``as_of``). ``max_days`` is the
    longest stay allowed entering on ``entry`` (at most 365); ``earliest_entry`` the first date on or after
    ``entry`` from which ``days`` days are allowed, None when no date within two years allows it.
    """
    stays, _ = stays_from_events(events, on=as_of)
    assessor = _Assessor(rules=rules, country=country, driver=driver, stays=stays)
    max_days = _max_days(assessor=assessor, stays_before=stays, entry=entry, as_of=as_of, limit=PLAN_MAX_DAYS)
    earliest: date | None = None
    if max_days >= days:
        earliest = entry
    elif days > _longest_possible_stay(assessor, entry, entry + timedelta(days=SEARCH_HORIZON_DAYS + days)):
        earliest = None  # no rule in the horizon allows a stay that long, whatever the history
    else:
        for offset in range(1, SEARCH_HORIZON_DAYS + 1):
            candidate = entry + timedelta(days=offset)
            if _max_days(assessor=assessor, stays_before=stays, entry=candidate, as_of=as_of, limit=days) >= days:
                earliest = candidate
                break
    return Plan(
        country=country,
        entry=entry,
        days=days,
        allowed=days <= max_days,
        max_days=max_days,
        earliest_entry=earliest,
    )
