"""Crossing schedules as data: opening hours, the booking system's daily quota and planned closures of one side of a
crossing, and what they mean for one queue. Pure: no ORM, no clock.

Operators keep the data on the crossing (``queues.models.Crossing`` and ``PlannedClosure``); ``queues/data/`` ships
the known figures. The estimator takes a :class:`QueueSchedule` as prior knowledge (see docs/estimator.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Local opening hours of one day, the same every day. ``closes`` before ``opens`` spans midnight."""

    opens: time
    closes: time

    def text(self) -> str:
        closes = "24:00" if self.closes == time(0) and self.opens != time(0) else self.closes.strftime("%H:%M")
        return f"{self.opens.strftime('%H:%M')}-{closes}"


def parse_opening_hours(text: str) -> OpeningHours | None:
    """``"09:00-18:00"`` as :class:`OpeningHours`; ``""`` is None (unknown, or around the clock). Raises
    ``ValueError`` on anything else (also on an empty day such as ``"09:00-09:00"``)."""
    text = (text or "").strip()
    if not text:
        return None
    match = _HOURS.match(text)
    if match is None:
        raise ValueError(text)
    opens = time(int(match[1]), int(match[2]))
    close_hour, close_minute = int(match[3]), int(match[4])
    if close_hour == 24:
        if close_minute:
            raise ValueError(text)
        close_hour = 0
    closes = time(close_hour, close_minute)
    if opens == closes:
        raise ValueError(text)
    return OpeningHours(opens, closes)


@dataclass(frozen=True, slots=True)
class Closure:
    """A planned closure: the border clears no truck in ``[starts_at, ends_at)``."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class QueueSchedule:
    """What is known in advance of the pace of one queue: the hours during which the border works (local time of
    ``time_zone``; None: around the clock or unknown), the most trucks it takes per local day (None: no quota) and
    planned closures. A queue passes both sides of a crossing, so it is open when both are open (see
    :func:`queue_schedule`)."""

    time_zone: str = "UTC"
    hours: OpeningHours | None = None
    daily_quota: int | None = None
    closures: tuple[Closure, ...] = ()

    @property
    def known(self) -> bool:
        return self.hours is not None or self.daily_quota is not None or bool(self.closures)

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def open_at(self, at: datetime) -> bool:
        """Whether the hours and the closures let trucks through at ``at`` (the quota aside)."""
        for closure in self.closures:
            if closure.starts_at <= at < closure.ends_at:
                return False
        if self.hours is None:
            return True
        local = at.astimezone(self.zone()).time()
        opens, closes = self.hours.opens, self.hours.closes
        if opens < closes:
            return opens <= local < closes
        return local >= opens or local < closes

    def open_share(self, start: datetime, end: datetime, *, step: timedelta = timedelta(minutes=15)) -> float:
        """The share of ``[start, end)`` during which the border is open (sampled every ``step``)."""
        if end <= start:
            return 1.0 if self.open_at(start) else 0.0
        total = opened = 0
        at = start
        while at < end:
            total += 1
            opened += self.open_at(at + step / 2 if at + step <= end else at + (end - at) / 2)
            at += step
        return opened / total

    def local_day_start(self, at: datetime) -> datetime:
        """The start (UTC) of the local day that holds ``at``: when a daily quota starts again."""
        local = at.astimezone(self.zone())
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.zone())
        return midnight.astimezone(UTC)

    def open_hours_per_day(self) -> float:
        """Hours a day the border works by its opening hours (24 when around the clock)."""
        if self.hours is None:
            return 24.0
        opens = self.hours.opens.hour + self.hours.opens.minute / 60
        closes = self.hours.closes.hour + self.hours.closes.minute / 60
        return (closes - opens) % 24 or 24.0


def _later(first: OpeningHours | None, second: OpeningHours | None) -> OpeningHours | None:
    """The hours during which both sides work, when both are in one zone and neither spans midnight; else the
    stricter known one (the one with fewer hours)."""
    if first is None or second is None:
        return first or second
    if first.opens < first.closes and second.opens < second.closes:
        opens, closes = max(first.opens, second.opens), min(first.closes, second.closes)
        if opens < closes:
            return OpeningHours(opens, closes)
    one = QueueSchedule(hours=first).open_hours_per_day()
    other = QueueSchedule(hours=second).open_hours_per_day()
    return first if one <= other else second


@dataclass(frozen=True, slots=True)
class SideSchedule:
    """One side of a crossing as operators keep it."""

    country: str
    time_zone: str
    hours: OpeningHours | None
    daily_quota: int | None
    closures: tuple[Closure, ...] = ()


def queue_schedule(*, leaving: SideSchedule, entering: SideSchedule) -> QueueSchedule:
    """The schedule of the queue from ``leaving``'s country into ``entering``'s: open when both sides are (in the
    leaving side's local time; the entering side's hours count where the leaving side's are unknown or in the same
    zone), the smaller quota of the two, and both sides' closures."""
    hours: OpeningHours | None
    if leaving.hours is not None and entering.hours is not None and leaving.time_zone != entering.time_zone:
        hours = leaving.hours
    else:
        hours = _later(leaving.hours, entering.hours)
    zone = leaving.time_zone if leaving.hours is not None or entering.hours is None else entering.time_zone
    quotas = [quota for quota in (leaving.daily_quota, entering.daily_quota) if quota]
    closures = tuple(sorted({*leaving.closures, *entering.closures}, key=lambda closure: closure.starts_at))
    return QueueSchedule(time_zone=zone, hours=hours, daily_quota=min(quotas) if quotas else None, closures=closures)


STEP = timedelta(minutes=15)


def quota_used(schedule: QueueSchedule, *, at: datetime, pace: float) -> float:
    """Trucks of the daily quota through by ``at``, had the border kept ``pace`` (trucks an hour) whenever open since
    the local day began (0 without a quota)."""
    if schedule.daily_quota is None:
        return 0.0
    used = 0.0
    moment = schedule.local_day_start(at)
    while moment < at and used < schedule.daily_quota:
        span = min(STEP, at - moment)
        if schedule.open_at(moment + span / 2):
            used += pace * (span / timedelta(hours=1))
        moment += span
    return min(float(schedule.daily_quota), used)


def expected_open_share(schedule: QueueSchedule, *, start: datetime, end: datetime, pace: float) -> float:
    """The share of ``[start, end)`` during which the border was expected to clear trucks: open by its hours and
    closures, with quota left (had it kept ``pace`` when open)."""
    if end <= start:
        return 1.0
    used = quota_used(schedule, at=start, pace=pace)
    day = schedule.local_day_start(start)
    total = opened = 0.0
    moment = start
    while moment < end:
        span = min(STEP, end - moment)
        today = schedule.local_day_start(moment)
        if today != day:
            day, used = today, 0.0
        hours = span / timedelta(hours=1)
        total += hours
        if schedule.open_at(moment + span / 2) and (schedule.daily_quota is None or used < schedule.daily_quota):
            opened += hours
            used += pace * hours
        moment += span
    return opened / total if total else 1.0
