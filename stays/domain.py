"""Days of stay, limits, risk and planning: pure functions over plain values (no ORM, no clock).

One assessment answers every question (status, latest exit, days left, risk, a plan, the alerts built on the
status), so the answers cannot disagree. Its readings, each the conservative one where the law is silent:

- **Counting**: a stay runs from its entry day to its exit day and both days count; an entry and an exit on the
  same day count as one day. An open stay (an entry without an exit) counts up to the assessment date.
- **One stay across a same-day exit and re-entry**: stays that overlap or touch on the same day (out and back in
  on one day, or moving within a zone) are one continuous stay, for the status and for a plan alike. A plan
  whose entry falls on a day the driver is still in the country (an open stay, or an exit on that very day)
  continues that stay. A plan entering after ``as_of`` while a stay is still open takes that stay to end on
  ``as_of``: the driver leaves first (the plan says so in ``assumes_exit_on``).
- **Each day by its own rule**: a day of stay D complies when the days of stay in the window of the rule in
  force on D, ending on D, do not exceed its limit (calendar year: 1 January to D; rolling: the ``window_days``
  days ending on D), and the continuous stay D belongs to, counted from its first day (across New Year and
  across a change of law), is no longer than the rule's continuous and per-entry caps.
- **An overstay lasts until the driver leaves**: from the first day of a stay that breaks its rule, every later
  day of that stay is unlawful; neither 1 January nor a new rule cures it.
- **Looking ahead**: the latest exit, the days left and the risk look over the whole rest of the current stay,
  each future day by the rule in force on it, so a regime, rule or cap that ends or binds before the latest
  exit counts now. A future day for which no rule applies is never vouched for: the look-ahead stops there.
- **No rule, no answer**: where no rule applies (no citizenship, or none for it) the status carries no rule and a
  ``rule_missing`` code, and a plan is never allowed.

Use: ``assess(driver=..., events=..., rules=..., on=...)`` for the status, ``plan(...)`` for a planned stay. The
inputs are the whole history (events), every rule, the driver's regimes and ``on``/``as_of``: the date of the
host country's own calendar (the caller picks the local date; this module never reads a clock).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

ENTRY = "entry"
EXIT = "exit"
CALENDAR_YEAR = "calendar_year"
ROLLING = "rolling"

RISK_RANK = {"ok": 0, "watch": 1, "high": 2, "overstay": 3, "listed": 4}
RISK_LEVELS = tuple(RISK_RANK)  # by rank: RISK_LEVELS[rank] is the level of that rank

# Why no rule applies (``rule_missing``): stable codes.
RULE_MISSING_NO_CITIZENSHIP = "no_citizenship"
RULE_MISSING_NO_RULE = "no_rule_for_citizenship"

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
        """Host country in the zone, citizenship in the group; never a rule over the driver's own country, and
        never one for a driver whose citizenship is not known."""
        return (
            bool(citizenship)
            and country in self.host_countries
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
    """The status in one country on one day. With no applicable rule, ``rule`` is None, ``rule_missing`` says
    why and the counts are None: nothing is claimed (``risk`` is ``listed`` or None)."""

    country: str
    rule: Rule | None
    in_country: bool
    days_used: int | None
    days_left: int | None
    window_start: date | None
    window_end: date | None
    latest_exit: date | None
    overstay_days: int | None
    risk: str | None
    risk_reasons: tuple[str, ...]
    registry: RegistryState
    rule_missing: str | None = None
    # First day of the current stay (in the country) or of the latest one; None when there is none. Alerts
    # belong to a stay: the driver is pushed once per level per stay.
    stay_start: date | None = None

    @property
    def risk_rank(self) -> int:
        return RISK_RANK.get(self.risk or "ok", 0)


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
    rule_missing: str | None = None  # why no rule applies on the entry day (then never allowed)
    # Still in the country on ``as_of`` and entering after it: the plan takes the current stay to end on this day
    # (the driver leaves first); None when no open stay is assumed to end.
    assumes_exit_on: date | None = None


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


def rule_missing_reason(*, rules: Sequence[Rule], country: str, driver: DriverFacts, day: date) -> str | None:
    """Why no rule applies to ``driver`` in ``country`` on ``day`` (a ``RULE_MISSING_*`` code); None when one does."""
    if rule_in_force(rules=rules, country=country, driver=driver, day=day) is not None:
        return None
    return RULE_MISSING_NO_RULE if driver.citizenship else RULE_MISSING_NO_CITIZENSHIP


# --- The one assessment ----------------------------------------------------------------------------
Interval = tuple[str, int, int]  # (country, first day, last day) as ordinals, both included


class _Judge:
    """Judges the days of one driver in one country, each against the rule in force on it.

    Every question (status, latest exit, plan) is asked of a *timeline*: the recorded stays as intervals,
    possibly changed by a hypothesis (staying on, a planned trip). ``first_stop`` is the single place that
    decides whether a day is lawful.
    """

    def __init__(self, *, rules: Sequence[Rule], country: str, driver: DriverFacts) -> None:
        self.rules = rules
        self.country = country
        self.driver = driver
        self._rule_cache: dict[date, Rule | None] = {}

    def rule(self, day: date) -> Rule | None:
        if day not in self._rule_cache:
            self._rule_cache[day] = rule_in_force(rules=self.rules, country=self.country, driver=self.driver, day=day)
        return self._rule_cache[day]

    @staticmethod
    def excess(presence: Presence, day: date, rule: Rule) -> tuple[int, tuple[str, ...]]:
        """Days over ``rule`` on ``day`` (0 when it complies) and the reasons; ``day`` must be a day of stay."""
        over: list[tuple[int, str]] = [
            (presence.count(rule.window_start(day), day) - rule.limit_days, REASON_OVER_LIMIT)
        ]
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

    def first_stop(
        self, timeline: Sequence[Interval], first: date, last: date, *, vouch_from: date
    ) -> tuple[date | None, tuple[str, ...]]:
        """The first day in [first, last] (days of one continuous stay in the country) that breaks its rule, or,
        from ``vouch_from`` on, has no rule at all; None when there is none. With the reasons it breaks.

        Walking a stay from its first day makes an overstay last: every day after the first unlawful one is
        unlawful too, whatever rule or year follows.
        """
        presences: dict[frozenset[str], Presence] = {}
        day = first
        while day <= last:
            rule = self.rule(day)
            if rule is None:
                if day >= vouch_from:
                    return day, ()
            else:
                zone = rule.host_countries
                if zone not in presences:
                    presences[zone] = Presence((start, end) for country, start, end in timeline if country in zone)
                amount, reasons = self.excess(presences[zone], day, rule)
                if amount > 0:
                    return day, reasons
            day += timedelta(days=1)
        return None, ()

    def longest_stay(self, *, stays: Sequence[Stay], entry: date, limit: int, as_of: date) -> int:
        """How many days from ``entry`` on (at most ``limit``) the driver may stay, present on each of them.

        Days recorded before ``entry`` count; a stay that covers ``entry`` (still open on it, or left that very
        day) goes on into this one; what is recorded from ``entry`` on is replaced by the hypothesis. A stay
        still open on ``as_of`` (the date the history is known up to) ends on ``as_of`` at the latest when the
        entry is after it: to enter later the driver must leave first, and nothing says they stay on.
        """
        if self.rule(entry) is None:
            return 0
        last = entry + timedelta(days=limit - 1)
        began = entry
        timeline: list[Interval] = []
        for stay in stays:
            if stay.entry >= entry:
                continue
            ends = assumed_exit(stay, as_of=as_of)
            covers = ends >= entry
            if covers and stay.country == self.country:
                began = min(began, stay.entry)
                continue
            end = entry - timedelta(days=1) if covers else ends
            timeline.append((stay.country, stay.entry.toordinal(), end.toordinal()))
        timeline.append((self.country, began.toordinal(), last.toordinal()))
        stop, _ = self.first_stop(timeline, began, last, vouch_from=entry)
        if stop is None:
            return limit
        return max(0, (stop - entry).days)


def assumed_exit(stay: Stay, *, as_of: date) -> date:
    """The last day of ``stay`` as a plan reads it: its exit, or for a stay still open, ``as_of`` (the driver is
    taken to leave on the day the history is known up to; every later day of stay changes the answer)."""
    return stay.exit if stay.exit is not None else max(as_of, stay.entry)


def _timeline(stays: Iterable[Stay], *, open_until: date) -> list[Interval]:
    return [(stay.country, stay.entry.toordinal(), (stay.exit or open_until).toordinal()) for stay in stays]


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
) -> CountryStatus:
    """The status in ``country`` on ``on`` (``rule`` None with a ``rule_missing`` code when no rule applies).

    - ``days_used``: days of stay in the window of the rule in force on ``on``, up to ``on``.
    - ``latest_exit`` (in the country, lawfully): the last day D such that staying every day until D and leaving
      on D keeps every day within the rule in force on it; None while the stay is already unlawful.
    - ``days_left``: in the country, the days after ``on`` until the latest exit (0 when unlawful); out of it,
      the days a stay entered on ``on`` could last (not counting ``on`` again if the driver was there that day).
    - ``overstay_days``: the unlawful days of stay in the window and in the current stay.
    """
    stays, _ = stays_from_events(events, on=on)
    in_country = any(stay.country == country and stay.exit is None for stay in stays)
    own = [stay for stay in stays if stay.country == country]
    stay_start = (
        Presence((s.entry.toordinal(), (s.exit or on).toordinal()) for s in own).stay_start(
            max((s.exit or on) for s in own)
        )
        if own
        else None
    )
    rule = rule_in_force(rules=rules, country=country, driver=driver, day=on)
    if rule is None:
        listed = registry.status == "listed"
        return CountryStatus(
            country=country,
            rule=None,
            rule_missing=rule_missing_reason(rules=rules, country=country, driver=driver, day=on),
            in_country=in_country,
            days_used=None,
            days_left=None,
            window_start=None,
            window_end=None,
            latest_exit=None,
            overstay_days=None,
            risk="listed" if listed else None,
            risk_reasons=(REASON_REGISTRY_LISTED,) if listed else (),
            registry=registry,
            stay_start=stay_start,
        )
    judge = _Judge(rules=rules, country=country, driver=driver)
    timeline = _timeline(stays, open_until=on)
    window_start, window_end = rule.window_start(on), rule.window_end(on)
    zone_presence = Presence((start, end) for code, start, end in timeline if code in rule.host_countries)
    days_used = zone_presence.count(window_start, min(window_end, on))

    # Overstay: the unlawful days of each stay that reaches into the window (all of the current stay's).
    presence = Presence((start, end) for code, start, end in timeline if code == country)
    overstay_days = 0
    over_reasons: set[str] = set()
    unlawful_today = False
    for first_ord, last_ord in zip(presence.starts, presence.ends, strict=True):
        first, last = date.fromordinal(first_ord), min(date.fromordinal(last_ord), on)
        current = in_country and last == on
        if last < window_start and not current:
            continue
        stop, reasons = judge.first_stop(timeline, first, last, vouch_from=date.max)
        if stop is None:
            continue
        counted_from = stop if current else max(stop, window_start)
        overstay_days += max(0, (last - counted_from).days + 1)
        over_reasons.update(reasons)
        unlawful_today = unlawful_today or current

    latest_exit: date | None = None
    if in_country:
        if not unlawful_today:
            horizon = on + timedelta(days=SEARCH_HORIZON_DAYS)
            ahead = _timeline(stays, open_until=horizon)
            current_start = presence.stay_start(on) or on
            stop, _ = judge.first_stop(ahead, current_start, horizon, vouch_from=on + timedelta(days=1))
            latest_exit = horizon if stop is None else stop - timedelta(days=1)
        days_left = (latest_exit - on).days if latest_exit else 0
    else:
        longest = judge.longest_stay(stays=stays, entry=on, limit=PLAN_MAX_DAYS, as_of=on)
        days_left = max(0, longest - 1) if presence.stay_start(on) is not None else longest

    risk, reasons = _risk(
        days_left=days_left,
        overstay_days=overstay_days,
        over_reasons=over_reasons,
        registry=registry,
        thresholds=thresholds,
    )
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
        stay_start=stay_start,
    )


def _risk(
    *, days_left: int, overstay_days: int, over_reasons: set[str], registry: RegistryState, thresholds: Thresholds
) -> tuple[str, tuple[str, ...]]:
    reasons: list[str] = []
    if registry.status == "listed":
        reasons.append(REASON_REGISTRY_LISTED)
    reasons += sorted(over_reasons)
    if not overstay_days:
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


def countries_to_assess(*, rules: Sequence[Rule], driver: DriverFacts, events: Sequence[Event], on: date) -> list[str]:
    """Where the status says something: countries with a rule for the driver, countries of their recorded stays,
    and, for a driver without citizenship, every host country of a rule in force (to say why nothing is known).
    Never the driver's own country."""
    codes = set(countries_with_rules(rules=rules, driver=driver, on=on))
    codes |= {event.country for event in events if event.on <= on}
    if not driver.citizenship:
        codes |= {code for rule in rules if rule.in_force_on(on) for code in rule.host_countries}
    codes.discard(driver.citizenship)
    return sorted(codes)


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
    """The contract's <stay status> on ``on`` (the host countries' local date).

    ``registry`` is the latest check of Russia's registry; it counts for ``registry_countries`` only and a
    ``listed`` result overrides every other risk level there.
    """
    registry = registry or RegistryState()
    thresholds = thresholds or Thresholds()
    statuses = [
        assess_country(
            country=country,
            driver=driver,
            events=events,
            rules=rules,
            on=on,
            registry=registry if country in registry_countries else RegistryState(),
            thresholds=thresholds,
        )
        for country in countries_to_assess(rules=rules, driver=driver, events=events, on=on)
    ]
    return StayStatus(on=on, countries=tuple(statuses))


# --- Planning --------------------------------------------------------------------------------------
def _longest_possible_stay(judge: _Judge, first: date, last: date) -> int:
    """An upper bound on any single stay between two dates, from the rules alone (a cheap search cut-off)."""
    bound = 0
    day = first
    while day <= last:
        rule = judge.rule(day)
        if rule is None:
            return PLAN_MAX_DAYS  # no bound from this day: the search decides
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

    History is what is recorded up to ``as_of``. A stay that covers ``entry`` (the driver is still in the country
    on it, or leaves on that very day) goes on into the planned one: it is one continuous stay. A plan entering
    after ``as_of`` while the driver is still in the country takes the current stay to end on ``as_of``: the driver
    must leave to enter again, and the plan cannot know a later exit (``assumes_exit_on`` says so; each further
    day in the country counts once it is spent, so a later answer may be stricter). Reading the open stay as
    going on until the planned entry would make every future entry one endless stay, and no entry within two
    years would ever be allowed. ``max_days`` is the
    longest stay allowed entering on ``entry`` (at most 365); ``earliest_entry`` the first date on or after
    ``entry`` from which ``days`` days are allowed, None when no date within two years allows it. With no rule on
    the entry day, ``rule_missing`` says why and the plan is not allowed.
    """
    stays, _ = stays_from_events(events, on=as_of)
    judge = _Judge(rules=rules, country=country, driver=driver)
    max_days = judge.longest_stay(stays=stays, entry=entry, limit=PLAN_MAX_DAYS, as_of=as_of)
    earliest: date | None = None
    if max_days >= days:
        earliest = entry
    elif days > _longest_possible_stay(judge, entry, entry + timedelta(days=SEARCH_HORIZON_DAYS + days)):
        earliest = None  # no rule in the horizon allows a stay that long, whatever the history
    else:
        for offset in range(1, SEARCH_HORIZON_DAYS + 1):
            candidate = entry + timedelta(days=offset)
            if judge.longest_stay(stays=stays, entry=candidate, limit=days, as_of=as_of) >= days:
                earliest = candidate
                break
    return Plan(
        country=country,
        entry=entry,
        days=days,
        allowed=days <= max_days,
        max_days=max_days,
        earliest_entry=earliest,
        rule_missing=rule_missing_reason(rules=rules, country=country, driver=driver, day=entry),
        assumes_exit_on=as_of
        if entry > as_of and any(s.country == country and s.exit is None for s in stays)
        else None,
    )
