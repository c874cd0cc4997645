"""An independent reading of DOMAIN.md §2–3, day by day, for checking ``stays.domain`` against it.

Written from the text alone and sharing no code with ``stays.domain``: it walks the calendar one day at a time,
counts with plain sets and loops, and is meant to be slow and obviously right. Only what the generated histories
need is here: one host country per rule (no zones), at most one rule in force per day.

The readings it implements, in DOMAIN.md's words:
- the entry day and the exit day both count; an exit and a re-entry on the same day are one continuous stay
  (for the status and for a plan alike);
- calendar-year rule: days are summed per calendar year; a continuous or per-entry cap counts the whole stay,
  including days before the rule took effect;
- rolling rule of N days: on day D the days of stay in [D - (N - 1), D] must not exceed the limit;
- a stay that broke a limit stays unlawful until the driver leaves (1 January or a new rule does not cure it);
- a day without a rule the product knows is never vouched for when looking ahead;
- a plan is made on a date (``as_of``) and knows the days up to it: a driver still in the country then and
  planning to enter later is taken to leave on that date (the days they go on staying are not known yet).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
LOOK_AHEAD_DAYS = 2 * 366  # how far the latest exit and an earliest entry are searched
PLAN_MAX_DAYS = 365


@dataclass(frozen=True)
class Law:
    host: str
    citizenships: frozenset[str]
    limit: int
    yearly: bool  # True: per calendar year; False: rolling window of window_days
    window_days: int = 0
    continuous_cap: int | None = None
    per_entry_cap: int | None = None
    regime: str = ""
    first_day: date = date.min
    last_day: date = date.max


@dataclass(frozen=True)
class Person:
    citizenship: str  # "" when unknown
    regimes: tuple[tuple[str, date, date], ...] = ()  # (name, first day, last day)


def law_on(laws, person: Person, host: str, day: date) -> Law | None:
    """The law applied to ``person`` in ``host`` on ``day``: a regime the person holds beats the general law."""
    if not person.citizenship or person.citizenship == host:
        return None
    held = {name for name, first, last in person.regimes if first <= day <= last}
    found = [
        law
        for law in laws
        if law.host == host
        and person.citizenship in law.citizenships
        and law.first_day <= day <= law.last_day
        and (not law.regime or law.regime in held)
    ]
    special = [law for law in found if law.regime]
    general = [law for law in found if not law.regime]
    chosen = special or general
    assert len(chosen) <= 1, "the generated laws never overlap"
    return chosen[0] if chosen else None


def recorded_stays(events, host: str, upto: date) -> list[list]:
    """[first day, last day or None] of each continuous stay in ``host`` from events up to ``upto``, in order.

    ``events`` are (country, kind, day) in the order they happened.
    """
    stays: list[list] = []
    for country, kind, day in events:
        if country != host or day > upto:
            continue
        if kind == "entry":
            if stays and stays[-1][1] == day:  # out and back in on one day: the same stay goes on
                stays[-1][1] = None
            else:
                stays.append([day, None])
        else:
            stays[-1][1] = day
    return stays


class Calendar:
    """Which days the person is in ``host`` and on which day each one's continuous stay began."""

    def __init__(self) -> None:
        self.began: dict[date, date] = {}
        self._sorted: list[date] | None = None

    def add(self, first: date, last: date, began: date) -> None:
        day = first
        while day <= last:
            self.began[day] = began
            day += ONE_DAY
        self._sorted = None

    def count(self, first: date, last: date) -> int:
        """Days of stay in [first, last]."""
        if self._sorted is None:
            self._sorted = sorted(self.began)
        return bisect_right(self._sorted, last) - bisect_left(self._sorted, first)


def breaks_law(calendar: Calendar, law: Law, day: date) -> bool:
    window_first = date(day.year, 1, 1) if law.yearly else day - timedelta(days=law.window_days - 1)
    if calendar.count(window_first, day) > law.limit:
        return True
    length = (day - calendar.began[day]).days + 1
    return any(cap is not None and length > cap for cap in (law.continuous_cap, law.per_entry_cap))


def unlawful_days(calendar: Calendar, laws, person: Person, host: str) -> set[date]:
    """Every day of stay on which the person is there unlawfully (a broken stay stays broken until they leave)."""
    bad: set[date] = set()
    for day in sorted(calendar.began):
        law = law_on(laws, person, host, day)
        carried = day - ONE_DAY in bad and calendar.began.get(day - ONE_DAY) == calendar.began[day]
        if carried or (law is not None and breaks_law(calendar, law, day)):
            bad.add(day)
    return bad


def first_unvouched(calendar: Calendar, laws, person: Person, host: str, first: date, last: date) -> date | None:
    """The first day in [first, last] that is unlawful or has no law; None when every one is fine."""
    bad = unlawful_days(calendar, laws, person, host)
    day = first
    while day <= last:
        if day in bad or law_on(laws, person, host, day) is None:
            return day
        day += ONE_DAY
    return None


def calendar_for_trip(events, host: str, as_of: date, entry: date, days: int) -> Calendar:
    """Recorded days before ``entry``, then ``days`` days from ``entry`` on.

    What is known ends on ``as_of``: a stay still open then is there until ``as_of`` and no longer (to enter
    again on a later day the driver has to leave first). A stay that is there on ``entry`` (entered before it and
    not left before it) goes on into the trip."""
    calendar = Calendar()
    began = entry
    for first, last in recorded_stays(events, host, as_of):
        if last is None:
            last = as_of
        if first >= entry:
            continue
        if last >= entry:
            began = first
            last = entry - ONE_DAY
        calendar.add(first, last, first)
    calendar.add(entry, entry + timedelta(days=days - 1), began)
    return calendar


def longest_trip(events, laws, person: Person, host: str, as_of: date, entry: date, limit: int) -> int:
    if law_on(laws, person, host, entry) is None:
        return 0
    calendar = calendar_for_trip(events, host, as_of, entry, limit)
    stop = first_unvouched(calendar, laws, person, host, entry, entry + timedelta(days=limit - 1))
    return limit if stop is None else (stop - entry).days


def plan(events, laws, person: Person, host: str, as_of: date, entry: date, days: int) -> dict:
    longest = longest_trip(events, laws, person, host, as_of, entry, PLAN_MAX_DAYS)
    earliest = None
    for offset in range(LOOK_AHEAD_DAYS + 1):
        candidate = entry + timedelta(days=offset)
        if longest_trip(events, laws, person, host, as_of, candidate, days) >= days:
            earliest = candidate
            break
    return {"allowed": days <= longest, "max_days": longest, "earliest_entry": earliest}


def status(events, laws, person: Person, host: str, on: date, watch: int = 15, high: int = 5) -> dict | None:
    """What the driver should be told about ``host`` on ``on``; None when no law applies that day."""
    law = law_on(laws, person, host, on)
    if law is None:
        return None
    stays = recorded_stays(events, host, on)
    in_country = bool(stays) and stays[-1][1] is None
    window_first = date(on.year, 1, 1) if law.yearly else on - timedelta(days=law.window_days - 1)

    calendar = Calendar()
    for first, last in stays:
        calendar.add(first, last or on, first)
    used = calendar.count(window_first, on)
    bad = unlawful_days(calendar, laws, person, host)
    current_began = stays[-1][0] if in_country else None
    overstay = sum(1 for day in bad if day >= window_first or calendar.began[day] == current_began)

    latest_exit = None
    if in_country:
        if on not in bad:
            ahead = Calendar()
            for first, last in stays:
                ahead.add(first, last or on + timedelta(days=LOOK_AHEAD_DAYS), first)
            stop = first_unvouched(ahead, laws, person, host, on + ONE_DAY, on + timedelta(days=LOOK_AHEAD_DAYS))
            latest_exit = on + timedelta(days=LOOK_AHEAD_DAYS) if stop is None else stop - ONE_DAY
        left = (latest_exit - on).days if latest_exit else 0
    else:
        # Out of the country: the days a stay entered today could last, not counting today twice when the
        # driver already spent it there (left today: coming back today goes on with that stay).
        longest = longest_trip(events, laws, person, host, on, on, PLAN_MAX_DAYS)
        left = max(0, longest - 1) if on in calendar.began else longest

    if overstay:
        risk = "overstay"
    elif left <= high:
        risk = "high"
    elif left <= watch:
        risk = "watch"
    else:
        risk = "ok"
    return {
        "in_country": in_country,
        "days_used": used,
        "days_left": left,
        "latest_exit": latest_exit,
        "overstay_days": overstay,
        "risk": risk,
    }
