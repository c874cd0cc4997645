"""Pure wait forecast: the wait of a truck that joins a queue at a future moment, up to 72 hours ahead.

No ORM, no clock: the caller passes the queue's current estimate, its recent history and its schedule, and ``at``.
The method (docs/estimator.md, "Forecast"):

1. **Day profile.** The queue's past estimates (hourly, up to ``PROFILE_DAYS`` days) are grouped by local hour of
   the day on the side the queue stands on; the profile is each hour's median log-wait minus the median over all
   hours, shrunk towards zero where an hour was seen on few days. Under a day of history there is no profile.
2. **Level.** The current estimate with the profile taken out is the level now; it returns towards the queue's
   usual level (the median deseasonalised wait of the history) with the time constant ``REVERSION_HOURS``.
   The forecast is the level at ``at`` with the profile of ``at``'s hour put back.
3. **Range.** The current estimate's 80% interval is the uncertainty now; it grows with the horizon by what the
   history shows (how far the same forecast, made from past estimates, was off that many hours later) and never
   by less than ``GROWTH_SIGMA`` × √(hours / 24).
4. **Schedule.** Planned closures hold the queue: a truck in the queue while the border is shut waits the closure
   out, and one that joins soon after a closure meets its backlog. Known opening hours count only where no day
   profile was learned (a learned profile already holds them). A spent daily quota holds every truck until the
   next local day.

This is the forecast of what is on hand today (the published estimate, its history, the schedule); a richer
per-queue model state can replace step 1–2 behind the same :func:`forecast_wait`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORECAST_HORIZON = timedelta(hours=72)
# How much history the profile and the growth of the range are learned from.
PROFILE_DAYS = 7
PROFILE_MIN_HOURS = 24  # hours of history before a day profile is learned
PROFILE_SHRINK_DAYS = 6.0  # an hour seen on n days keeps n / (n + this) of its difference (tuned: docs/routes.md)
REVERSION_HOURS = 18.0
Z80 = 1.2816  # the 10th/90th percentiles of a normal distribution
GROWTH_SIGMA = 0.25  # log-scale spread added per √day of horizon when the history cannot tell
GROWTH_CAP_HOURS = 48.0  # past two days the level is the usual one: the spread stops growing
GROWTH_MIN_PAIRS = 12  # past forecast errors needed before the history sets the growth
PAIR_TOLERANCE = timedelta(minutes=45)
MAX_WAIT_MINUTES = 14 * 24 * 60


@dataclass(frozen=True, slots=True)
class Closure:
    """A planned closure of the crossing: no truck crosses in ``[starts_at, ends_at)``."""

    starts_at: datetime
    ends_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class QueueSchedule:
    """What is known of a queue's border post: the IANA time zone of the side the queue stands on, its opening
    hours there (``None``: unknown or around the clock), the booking system's daily quota (trucks per local day,
    ``None``: none known) and planned closures."""

    time_zone: str = "UTC"
    opening_hours: tuple[time, time] | None = None
    daily_quota: int | None = None
    closures: tuple[Closure, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def closure_at(self, at: datetime) -> Closure | None:
        return next((item for item in self.closures if item.starts_at <= at < item.ends_at), None)

    def open_at(self, at: datetime) -> bool | None:
        """False in a planned closure or outside known opening hours, True inside known hours, None otherwise
        (hours unknown: not known to be shut)."""
        if self.closure_at(at) is not None:
            return False
        if self.opening_hours is None:
            return None
        opens, closes = self.opening_hours
        local = at.astimezone(self.zone).time()
        if opens <= closes:
            return opens <= local < closes
        return local >= opens or local < closes  # open across midnight


@dataclass(frozen=True, slots=True)
class CurrentEstimate:
    """The queue's published estimate (the contract's ``<estimate>`` fields the forecast uses)."""

    wait_minutes: float
    low_minutes: float
    high_minutes: float
    computed_at: datetime
    confidence: str = "medium"
    throughput_per_hour: float | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    """Everything :func:`forecast_wait` looks at: the current estimate, the history of the queue's waits as
    ``(at, wait_minutes)`` pairs (any order; hourly is enough) and the schedule."""

    estimate: CurrentEstimate
    history: Sequence[tuple[datetime, float]] = ()
    schedule: QueueSchedule = field(default_factory=QueueSchedule)
    # The queue's published intervals of the last hours before the estimate, as ``(wait, low, high)`` minutes: the
    # range now is the median of theirs and the estimate's, so that one tick's outlier does not swing the advice.
    recent: Sequence[tuple[float, float, float]] = ()


@dataclass(frozen=True, slots=True)
class Forecast:
    at: datetime
    wait_minutes: int
    low_minutes: int
    high_minutes: int
    confidence: str
    computed_at: datetime
    open_at_join: bool | None  # see QueueSchedule.open_at
    quota_spent_at_join: bool | None  # None: no quota or no pace known

    @property
    def through_at(self) -> datetime:
        return self.at + timedelta(minutes=self.wait_minutes)

    @property
    def through_at_latest(self) -> datetime:
        return self.at + timedelta(minutes=self.high_minutes)


class ForecastOutOfRange(ValueError):
    """``at`` is before the estimate or more than ``FORECAST_HORIZON`` after it."""


# --- The model -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Model:
    profile: tuple[float, ...] | None  # 24 local hours, log scale; None: not learned
    usual: float | None  # usual deseasonalised log-wait
    zone: ZoneInfo
    growth: dict[int, float]  # horizon hours -> log-scale sigma seen in the history

    def shape(self, at: datetime) -> float:
        if self.profile is None:
            return 0.0
        return self.profile[at.astimezone(self.zone).hour]

    def log_wait(self, *, from_log: float, from_at: datetime, at: datetime) -> float:
        level = from_log - self.shape(from_at)
        hours = max(0.0, (at - from_at).total_seconds() / 3600)
        if self.usual is not None:
            level = self.usual + (level - self.usual) * math.exp(-hours / REVERSION_HOURS)
        return level + self.shape(at)


def _hourly(history: Sequence[tuple[datetime, float]], before: datetime) -> list[tuple[datetime, float]]:
    """One point per UTC hour (the mean log-wait of its points), oldest first, from the PROFILE_DAYS before."""
    earliest = before - timedelta(days=PROFILE_DAYS)
    buckets: dict[datetime, list[float]] = {}
    for at, wait in history:
        if earliest <= at <= before and wait is not None and wait >= 0:
            hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            buckets.setdefault(hour, []).append(math.log(max(wait, 1.0)))
    return [(hour, sum(values) / len(values)) for hour, values in sorted(buckets.items())]


def _learn(inputs: ForecastInputs) -> _Model:
    zone = inputs.schedule.zone
    points = _hourly(inputs.history, inputs.estimate.computed_at)
    profile: tuple[float, ...] | None = None
    usual: float | None = None
    if len(points) >= PROFILE_MIN_HOURS and (points[-1][0] - points[0][0]) >= timedelta(hours=PROFILE_MIN_HOURS - 1):
        centre = statistics.median(value for _, value in points)
        by_hour: dict[int, list[float]] = {}
        for at, value in points:
            by_hour.setdefault(at.astimezone(zone).hour, []).append(value)
        values = []
        for hour in range(24):
            seen = by_hour.get(hour, [])
            if not seen:
                values.append(0.0)
                continue
            days = len(seen)
            values.append((statistics.median(seen) - centre) * days / (days + PROFILE_SHRINK_DAYS))
        mean = sum(values) / 24
        profile = tuple(value - mean for value in values)
        usual = statistics.median(value - profile[at.astimezone(zone).hour] for at, value in points)
    model = _Model(profile=profile, usual=usual, zone=zone, growth={})
    return _Model(profile=profile, usual=usual, zone=zone, growth=_growth(model, points))


def _growth(model: _Model, points: list[tuple[datetime, float]]) -> dict[int, float]:
    """Per horizon (whole hours, 1–72), the log-scale spread of the forecast's errors on the history: the forecast
    made from each past hour, against the estimate that many hours later (the 10th–90th percentile range)."""
    if len(points) < GROWTH_MIN_PAIRS:
        return {}
    by_time = dict(points)
    growth: dict[int, float] = {}
    for hours in (1, 2, 3, 6, 12, 24, 36, 48, 72):
        errors = []
        for at, value in points:
            later = by_time.get(at + timedelta(hours=hours))
            if later is None:
                continue
            errors.append(later - model.log_wait(from_log=value, from_at=at, at=at + timedelta(hours=hours)))
        if len(errors) >= GROWTH_MIN_PAIRS:
            errors.sort()
            low = errors[int(0.1 * (len(errors) - 1))]
            high = errors[math.ceil(0.9 * (len(errors) - 1))]
            growth[hours] = max(0.0, (high - low) / (2 * Z80))
    return growth


def _growth_sigma(model: _Model, hours: float) -> float:
    capped = min(hours, GROWTH_CAP_HOURS)
    default = GROWTH_SIGMA * math.sqrt(capped / 24)
    known = sorted(model.growth)
    if not known:
        return default
    # The history's figure at the nearest horizon it could measure (never below the default).
    nearest = min(known, key=lambda value: abs(value - max(hours, 1.0)))
    # Under an hour the history's one-hour figure is taken in proportion (no growth at all for joining now).
    return max(default, model.growth[nearest] * min(1.0, hours))


# --- The schedule ----------------------------------------------------------------------------------------------------
def _shut_intervals(
    schedule: QueueSchedule, start: datetime, end: datetime, *, hours: bool
) -> list[tuple[datetime, datetime]]:
    """The times in [start, end) the border is shut: planned closures, and (with ``hours``) outside its hours."""
    shut = [(item.starts_at, item.ends_at) for item in schedule.closures]
    if hours and schedule.opening_hours is not None:
        zone = schedule.zone
        opens, closes = schedule.opening_hours
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            close_at = datetime.combine(day + timedelta(days=1 if closes <= opens else 0), closes, tzinfo=zone)
            next_open = datetime.combine(day + timedelta(days=1), opens, tzinfo=zone)
            shut.append((close_at.astimezone(UTC), next_open.astimezone(UTC)))
            day += timedelta(days=1)
    return sorted((max(a, start), min(b, end)) for a, b in shut if b > start and a < end)


def _through_with_schedule(schedule: QueueSchedule, at: datetime, minutes: float, *, hours: bool) -> float:
    """Minutes from ``at`` until a truck needing ``minutes`` of working border is through, the border's shut times
    (closures, and hours when ``hours``) not counting."""
    needed = timedelta(minutes=minutes)
    horizon = at + timedelta(minutes=MAX_WAIT_MINUTES)
    moment = at
    for start, end in _shut_intervals(schedule, at, horizon, hours=hours):
        if end <= moment:
            continue
        start = max(start, moment)
        if moment + needed <= start:
            break
        needed -= start - moment
        moment = end
    return min(MAX_WAIT_MINUTES, (moment + needed - at).total_seconds() / 60)


def _backlog_minutes(schedule: QueueSchedule, now: datetime, at: datetime) -> float:
    """A closure that ends between now and ``at`` leaves a backlog: the trucks that arrived while it lasted. It is
    taken as the closure's length for a truck joining as it reopens, cleared linearly over twice that time."""
    extra = 0.0
    for item in schedule.closures:
        if now < item.ends_at <= at:
            length = (item.ends_at - max(item.starts_at, now)).total_seconds() / 60
            after = (at - item.ends_at).total_seconds() / 60
            extra += max(0.0, length * (1 - after / (2 * length))) if length > 0 else 0.0
    return extra


def _quota_spent(schedule: QueueSchedule, at: datetime, per_hour: float | None) -> tuple[bool | None, float]:
    """Whether the local day's quota is spent when a truck joins at ``at`` (from the pace: trucks cleared since
    local midnight, or since opening), and the minutes until the next local day begins (0 when not spent)."""
    if schedule.daily_quota is None or not per_hour or per_hour <= 0:
        return None, 0.0
    zone = schedule.zone
    local = at.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), tzinfo=zone)
    begin = midnight
    if schedule.opening_hours is not None:
        begin = max(begin, datetime.combine(local.date(), schedule.opening_hours[0], tzinfo=zone))
    cleared = per_hour * max(0.0, (local - begin).total_seconds() / 3600)
    if cleared < schedule.daily_quota:
        return False, 0.0
    next_day = (midnight + timedelta(days=1)).astimezone(UTC)
    return True, (next_day - at).total_seconds() / 60


# --- The forecast ----------------------------------------------------------------------------------------------------
def _confidence(current: str, hours: float, stale: bool) -> str:
    ranks = ["low", "medium", "high"]
    rank = ranks.index(current) if current in ranks else 0
    if stale:
        rank = 0
    if hours > 6:
        rank = min(rank, 1)
    if hours > 24:
        rank = 0
    return ranks[rank]


class Forecaster:
    """The forecast of one queue, learned once from its inputs and asked for any moment (see the module doc)."""

    def __init__(self, inputs: ForecastInputs) -> None:
        self.inputs = inputs
        self.model = _learn(inputs)
        estimate = inputs.estimate
        intervals = [(estimate.wait_minutes, estimate.low_minutes, estimate.high_minutes), *inputs.recent]
        spreads = [
            (
                max(0.0, math.log(max(wait, 1.0)) - math.log(max(low, 1.0))),
                max(0.0, math.log(max(high, wait, 1.0)) - math.log(max(wait, 1.0))),
            )
            for wait, low, high in intervals
        ]
        self.spread_now = (
            statistics.median(below for below, _ in spreads),
            statistics.median(above for _, above in spreads),
        )

    def at(self, at: datetime, *, horizon: timedelta = FORECAST_HORIZON) -> Forecast:
        """The wait of a truck joining at ``at`` (median and 80% range), whether the border is open and its quota
        spent then. ``at`` must lie in ``[computed_at, computed_at + horizon]`` (:class:`ForecastOutOfRange`
        otherwise; a minute early is taken as ``computed_at``)."""
        estimate = self.inputs.estimate
        now = estimate.computed_at
        if at < now - timedelta(minutes=1) or at > now + horizon:
            raise ForecastOutOfRange(at)
        at = max(at, now)
        model = self.model
        centre_now = math.log(max(estimate.wait_minutes, 1.0))
        below_now, above_now = self.spread_now
        hours = (at - now).total_seconds() / 3600

        centre = model.log_wait(from_log=centre_now, from_at=now, at=at)
        growth = _growth_sigma(model, hours)
        below = math.sqrt(below_now**2 + (Z80 * growth) ** 2)
        above = math.sqrt(above_now**2 + (Z80 * growth) ** 2)
        waits = [math.exp(centre - below), math.exp(centre), math.exp(centre + above)]

        schedule = self.inputs.schedule
        backlog = _backlog_minutes(schedule, now, at)
        walk_hours = model.profile is None
        spent, until_next_day = _quota_spent(schedule, at, estimate.throughput_per_hour)
        adjusted = []
        for wait in waits:
            through = _through_with_schedule(schedule, at, min(MAX_WAIT_MINUTES, wait + backlog), hours=walk_hours)
            adjusted.append(min(MAX_WAIT_MINUTES, max(through, until_next_day)))
        low, middle, high = (round(value) for value in adjusted)
        return Forecast(
            at=at,
            wait_minutes=middle,
            low_minutes=min(low, middle),
            high_minutes=max(high, middle),
            confidence=_confidence(estimate.confidence, hours, estimate.stale),
            computed_at=now,
            open_at_join=schedule.open_at(at),
            quota_spent_at_join=spent,
        )


def forecast_wait(inputs: ForecastInputs, *, at: datetime) -> Forecast:
    """The wait of a truck joining the queue at ``at``, up to ``FORECAST_HORIZON`` after the estimate (see
    :meth:`Forecaster.at`)."""
    return Forecaster(inputs).at(at)


# --- Join-by ---------------------------------------------------------------------------------------------------------
JOIN_BY_STEP = timedelta(minutes=15)
JOIN_BY_LOOKBACK = timedelta(days=4)  # past this before the deadline the answer only repeats the day profile
# The high end of an 80% range is passed one time in ten: the advice keeps a margin on top of it, a share of the
# high end (at least a minimum), so that a truck that follows it is through in time at least 95 times in 100.
# The share is a split-conformal quantile: on the tuning seeds' worlds (960 trucks following the advice), the
# realised error at the join, (true wait − high end) / high end, was at most 0.46 in 95% of joins (the
# ⌈(n + 1) · 0.95⌉-th smallest). Confirmed on the held-out seeds: docs/benchmarks.md, docs/routes.md.
JOIN_BY_MARGIN_SHARE = 0.46
JOIN_BY_MARGIN_MIN = timedelta(hours=1)


def day_end(day: date, time_zone: str) -> datetime:
    """The first moment after local day ``day`` in ``time_zone`` (in UTC): the end of that day."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class JoinBy:
    """The latest moment to join the queue and still be through by ``deadline`` (at the high end of the range),
    with the forecast for a truck joining then. ``join_by`` before ``not_before`` means even joining now is
    expected to be too late; then ``join_by`` is ``not_before`` and ``in_time`` False."""

    join_by: datetime
    forecast: Forecast
    in_time: bool


def latest_join(forecaster: Forecaster, *, deadline: datetime, not_before: datetime) -> JoinBy:
    """Scans back from ``deadline`` in ``JOIN_BY_STEP`` steps for the latest join moment ``t`` with
    ``t + high(t) + margin(t) <= deadline`` (see ``JOIN_BY_MARGIN_*``); ``t`` is never before ``not_before`` (the
    present)."""
    horizon = max(FORECAST_HORIZON, deadline - forecaster.inputs.estimate.computed_at + JOIN_BY_STEP)
    start = max(not_before, forecaster.inputs.estimate.computed_at)
    moment = deadline.replace(second=0, microsecond=0)
    moment -= timedelta(minutes=moment.minute % 15)
    earliest = max(start, deadline - JOIN_BY_LOOKBACK)
    while moment >= earliest:
        forecast = forecaster.at(moment, horizon=horizon)
        if forecast.through_at_latest + join_margin(forecast) <= deadline:
            return JoinBy(join_by=moment, forecast=forecast, in_time=True)
        moment -= JOIN_BY_STEP
    forecast = forecaster.at(start, horizon=horizon)
    return JoinBy(
        join_by=start, forecast=forecast, in_time=forecast.through_at_latest + join_margin(forecast) <= deadline
    )


def join_margin(forecast: Forecast) -> timedelta:
    """The time the join-by advice keeps on top of the high end of the wait."""
    return max(JOIN_BY_MARGIN_MIN, timedelta(minutes=JOIN_BY_MARGIN_SHARE * forecast.high_minutes))
