"""Pure wait estimation: plain samples in, an estimate out. No ORM, no clock (``as_of`` is passed in).

The method is described in docs/estimator.md. The service (``queues.services.estimates``) and ``replay_reports``
both read the reports received in ``[as_of - SAMPLE_WINDOW, as_of]``, turn them into :class:`Sample` with
:func:`sample_from_report` and call :func:`estimate_wait`.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from queues.domain.kinds import KIND_ORDER
from queues.domain.schedule import QueueSchedule, expected_open_share, quota_used

# How far back (by observed_at) the callers read reports for one estimate. Long enough to compare the current pace
# with the pace at the same hour a day earlier (day/night rhythm) and to pair joined/crossed reports.
SAMPLE_WINDOW = timedelta(hours=30)
# How far back the normal pace of a queue is remembered (see normal_pace) and how many points it needs.
NORMAL_MEMORY = timedelta(days=7)
NORMAL_MIN_POINTS = 12
NORMAL_EVENT_SHARE = 0.5
# Below this many distinct drivers an estimate is not published.
MIN_DRIVERS = 3
# No report observed within this long before as_of: the estimate is marked stale.
STALE_AFTER = timedelta(hours=2)
# Flags set at ingest that make a report suspect (kept, but down-weighted).
SUSPECT_FLAGS = frozenset(
    {"implausible", "far", "position_jump", "impossible_speed", "waited_inconsistent", "suspect", "burst"}
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One crowd report as the estimator sees it."""

    driver_id: str
    kind: str  # "joined" | "position" | "crossed" | "left"
    observed_at: datetime
    received_at: datetime
    position: int | None = None
    distance_m: int | None = None
    waited_minutes: int | None = None
    weight: float = 1.0  # reporter trust in [0, 1]; untrusted drivers and reports never get here
    flagged: bool = False  # ingest raised a flag on this report: it counts, with a reduced weight


@dataclass(frozen=True, slots=True)
class QueueParams:
    """What the estimator knows about the queue itself."""

    vehicle_spacing_m: float = 20.0
    # The pace this queue normally keeps (trucks per hour), from a longer memory than SAMPLE_WINDOW: see
    # normal_pace(). None: the past day's pace stands in for it.
    normal_per_hour: float | None = None
    # The queue's own recent estimates, oldest first (see TrackPoint): what realised waits are scored against, to
    # weigh the forecast against the realised waits and to calibrate the interval; and the previous estimate, which
    # a new one moves away from only as far as the evidence justifies. Empty: a queue with no past.
    track: tuple[TrackPoint, ...] = ()
    # What the operators' catalogue says of the queue's hours, daily quota and planned closures (prior knowledge:
    # the pace is nothing while shut, and a pace of zero then is no change). None: unknown, around the clock.
    schedule: QueueSchedule | None = None


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One earlier estimate of the queue, as the caller remembers it (the service: its history points; replay: its
    own results). ``wait_minutes`` is what was estimated at ``at`` (published or not); ``predictors`` the figures
    (minutes) of the predictors it had (``PREDICTORS``), which realised waits later score one by one."""

    at: datetime
    wait_minutes: float
    predictors: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EstimateResult:
    wait_minutes: int
    low_minutes: int
    high_minutes: int
    queue_length: int | None
    throughput_per_hour: float | None
    reports: int
    drivers: int
    computed_at: datetime
    data_until: datetime | None
    stale: bool
    confidence: str  # "low" | "medium" | "high"
    # The current pace with the day/night rhythm taken out: what a caller remembers for normal_pace().
    pace_level_per_hour: float | None = None
    # The predictors behind the wait, in minutes (``PREDICTORS``; remembered by the caller in a TrackPoint). A
    # predictor with nothing to compute it from is absent.
    predictors: Mapping[str, float] = field(default_factory=dict)
    # Some evidence that the border is clearing trucks: a pace measured from drivers' progress, or realised waits.
    # Without it no wait is published, whatever the number of drivers.
    evidence_of_service: bool = True
    # Realised waits of the window matched with the estimate of the moment those trucks joined.
    calibration_pairs: int = 0

    @property
    def publishable(self) -> bool:
        return self.drivers >= MIN_DRIVERS and self.evidence_of_service


def sample_from_report(
    *,
    driver_id: object,
    kind: str,
    observed_at: datetime,
    received_at: datetime,
    position: int | None = None,
    distance_m: int | None = None,
    waited_minutes: int | None = None,
    weight: float = 1.0,
    flags: Iterable[str] = (),
) -> Sample:
    """One report (a ``Report`` row's fields or a replayed JSONL line) as a :class:`Sample`.

    ``weight`` is the reporter's trust in [0, 1] (e.g. ``Driver.reliability``); ``flags`` are the ingest flags.
    """
    return Sample(
        driver_id=str(driver_id),
        kind=kind,
        observed_at=observed_at,
        received_at=received_at,
        position=position,
        distance_m=distance_m,
        waited_minutes=waited_minutes,
        weight=min(1.0, max(0.0, float(weight))),
        flagged=bool(set(flags) & SUSPECT_FLAGS),
    )


# Tuning (see docs/estimator.md; the accuracy benchmark in bench/accuracy.py is how they were chosen).
RECENT_HOURS = 3.0  # window of the current pace; widened to WIDE_RECENT_HOURS when fewer than 3 drivers moved
WIDE_RECENT_HOURS = 6.0
LONG_HOURS = 24.0  # window of the usual pace: a whole day, so day and night average out
DAY_HOURS = 24.0
MIN_SPAN_HOURS = 0.75  # a driver's two positions must be this far apart to give a pace
# A closure is believed as soon as the evidence is decisive: drivers who watched within the last CLOSURE_HOURS (each
# at least CLOSURE_MIN_SPAN) saw the queue move at most CLOSURE_SHARE of its normal pace, where the normal pace would
# have cleared at least CLOSURE_EXPECTED trucks over the time they watched (Poisson: seeing none is then decisive).
CLOSURE_HOURS = 1.0
CLOSURE_MIN_SPAN = 0.5
CLOSURE_SHARE = 0.1
CLOSURE_EXPECTED = 8.0
# With a known schedule: the forecast steps through the schedule in this many hours; a recent window the schedule
# expected to be open less than MIN_OPEN_SHARE of the time says nothing of the pace level.
SCHEDULE_STEP_HOURS = 0.25
MIN_OPEN_SHARE = 0.5
JOIN_WINDOWS_HOURS = (2.0, 4.0, 8.0, 16.0, 30.0)  # widened until 3 drivers give a queue length
REALISED_WINDOWS_HOURS = (3.0, 6.0, 12.0)
REVERSION_HOURS = 12.0  # a change of pace is expected to fade with this time constant
MAX_PACE_RATIO = 4.0
MIN_PACE_RATIO = 0.02  # a closure: the pace is (almost) nothing
PROFILE_BINS = 8  # slices of the day for the day/night rhythm
PROFILE_PRIOR_VOTES = 1.5
SHAPE_MIN, SHAPE_MAX = 0.6, 1.6  # a day/night rhythm stays within this; beyond is an event
CHANGE_DEADBAND = 0.3  # pace ratios within ±30% of 1 are noise, not a change
MAX_WAIT_MINUTES = 14 * 24 * 60
UNVERIFIED_TRUST = 0.7  # a driver whose claims have not been checked against a crossing yet
CONTRADICTION_TRUST = 0.1  # multiplier per claim that later events contradict
COUNTED_TRUST = 0.35  # drivers below this trust do not count towards ``drivers``
FLAGGED_WEIGHT = 0.3
MIN_VOTE_SPREAD = 0.12  # relative spread assumed between drivers' figures when too few to measure it
Z80 = 1.2816  # two-sided 80% normal quantile
REALISED_LAG_SIGMA = 0.2  # a realised wait is as old as itself: the day has moved on since those trucks joined
FLOOR_SIGMA = 0.08  # log-scale error no amount of data removes (model error; measured: see docs/estimator.md)
CHANGE_SIGMA = 0.8  # extra log-scale uncertainty per unit of log pace change (how long a change lasts is unknown)
STALE_SIGMA = 0.25
RHYTHM_UNKNOWN_SIGMA = 0.2  # no day of history yet: where in the day/night rhythm the wait falls is unknown
FEW_DRIVERS_SIGMA = 0.6  # divided by √drivers: what a handful of reporters cannot see
# Learning from realised waits (see docs/estimator.md, "Learning from realised waits").
CALIBRATION_MIN_PAIRS = 8  # realised waits matched with an earlier estimate before they are trusted
CALIBRATION_MATCH = timedelta(minutes=30)  # an estimate at most this long before the truck joined is "its" estimate
CALIBRATION_DECAY_HOURS = 24.0  # older matched pairs count less (weight exp(-age / this))
CALIBRATION_SQUARED_FLOOR = 0.003  # no predictor is ever trusted as if it were exact
CALIBRATION_MODEL_SIGMA = 0.15  # a calibrated interval still covers the model's σ up to this (log scale)
# A change under way: the forecast (the current pace) and the published wait (weighed by realised waits, which lag)
# disagree. The interval reaches this multiple of the way to the forecast, on the forecast's side only (beyond it:
# the forecast takes a change to fade within REVERSION_HOURS, and a longer one takes the wait further), but this
# reach never makes it wider than DISAGREEMENT_MAX_WIDTH (high ÷ low) unless realised errors already did.
DISAGREEMENT_REACH = 1.5
DISAGREEMENT_MAX_WIDTH = 4.0
SMOOTH_HOURS = 1.0  # an estimate moves towards the new evidence with this time constant
SMOOTH_GAP = timedelta(hours=1)  # a previous estimate older than this is not moved from
PREDICTORS = ("forecast", "realised", "day_ago")  # the figures a wait is combined from (see docs/estimator.md)
DAY_AGO_SPAN_HOURS = 1.0  # trucks that joined this close to a day ago tell the "same time yesterday" wait
TRACK_MEMORY = timedelta(days=3)  # how far back the track reaches: the window plus the longest usual waits


@dataclass(frozen=True, slots=True)
class _Point:
    hours: float  # observed_at, hours before as_of (positive = past)
    position: float


@dataclass
class _Driver:
    hours: list[float]  # when each position was seen, hours before as_of (oldest first)
    positions: list[float]
    joined: list[_Point]
    crossed: list[tuple[float, int | None]]  # (hours ago, waited_minutes)
    other_after_crossed: int
    weight: float
    trust: float = UNVERIFIED_TRUST
    ages: list[float] = field(default_factory=list)  # -hours of each position, ascending (for bisect)


def _weighted_median(values: Sequence[tuple[float, float]]) -> float:
    """Lower weighted median of ``(value, weight)``; always one of the values."""
    ordered = sorted(values)
    total = sum(weight for _, weight in ordered)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= total / 2:
            return value
    return ordered[-1][0]


def _spread(values: Sequence[tuple[float, float]], centre: float) -> float:
    """Weighted median absolute deviation, scaled to a standard deviation."""
    return 1.4826 * _weighted_median([(abs(value - centre), weight) for value, weight in values])


def _position_of(sample: Sample, spacing_m: float) -> float | None:
    if sample.position is not None:
        return float(sample.position)
    if sample.distance_m is not None and spacing_m > 0:
        return sample.distance_m / spacing_m
    if sample.kind == "crossed":
        return 0.0
    return None


_OBSERVED_AT = operator.attrgetter("observed_at")
_HOUR = timedelta(hours=1)


def _sample_order(sample: Sample) -> tuple[datetime, int, datetime, int, int, int, float, bool]:
    """A total order of one driver's samples, so that the input order never changes the estimate."""
    return (
        sample.observed_at,
        KIND_ORDER.get(sample.kind, 4),
        sample.received_at,
        -1 if sample.position is None else sample.position,
        -1 if sample.distance_m is None else sample.distance_m,
        -1 if sample.waited_minutes is None else sample.waited_minutes,
        sample.weight,
        sample.flagged,
    )


def _drivers(
    samples: Sequence[Sample], as_of: datetime, spacing_m: float
) -> tuple[dict[str, _Driver], int, datetime | None]:
    earliest = as_of - SAMPLE_WINDOW
    seen = [sample for sample in samples if sample.received_at <= as_of and earliest <= sample.observed_at <= as_of]
    # Sorting by time is linear when the caller keeps its window in time order (replay does).
    seen.sort(key=_OBSERVED_AT)
    by_driver: dict[str, list[Sample]] = defaultdict(list)
    tied: set[str] = set()
    for sample in seen:
        own = by_driver[sample.driver_id]
        if own and own[-1].observed_at == sample.observed_at:
            tied.add(sample.driver_id)
        own.append(sample)
    used = len(seen)
    newest = seen[-1].observed_at if seen else None
    drivers: dict[str, _Driver] = {}
    for driver_id, own in by_driver.items():
        if driver_id in tied:
            own.sort(key=_sample_order)
        seen_hours: list[float] = []
        positions: list[float] = []
        joined: list[_Point] = []
        crossed: list[tuple[float, int | None]] = []
        other_after_crossed = 0
        weight = 1.0
        for sample in own:
            # This loop runs for every report at every refresh: kept lean on purpose.
            if sample.weight != 1.0 or sample.flagged:
                weight = min(weight, sample.weight * (FLAGGED_WEIGHT if sample.flagged else 1.0))
            kind = sample.kind
            if crossed and kind != "crossed":
                other_after_crossed += 1
            if kind == "left":
                continue
            if sample.position is not None:
                position = float(sample.position)
            else:
                estimated = _position_of(sample, spacing_m)
                if estimated is None:
                    continue
                position = estimated
            hours = (as_of - sample.observed_at) / _HOUR
            seen_hours.append(hours)
            positions.append(position)
            if kind == "joined":
                joined.append(_Point(hours, position))
            elif kind == "crossed":
                crossed.append((hours, sample.waited_minutes))
        drivers[driver_id] = _Driver(
            seen_hours, positions, joined, crossed, other_after_crossed, weight, ages=[-value for value in seen_hours]
        )
    return drivers, used, newest


_Mover = tuple[list[float], list[float], list[float], float]  # ages, hours, positions, weight


def _movers(drivers: dict[str, _Driver]) -> list[_Mover]:
    """The drivers who can show progress (two positions or more, some weight), ready for _pace_votes."""
    return [
        (driver.ages, driver.hours, driver.positions, driver.trust * driver.weight)
        for driver in drivers.values()
        if len(driver.ages) >= 2 and driver.trust * driver.weight > 0
    ]


def _pace_votes(
    movers: list[_Mover], newer: float, older: float, *, min_span: float = MIN_SPAN_HOURS
) -> list[tuple[float, float, float]]:
    """One ``(trucks cleared, hours, weight)`` vote per driver whose positions in [newer, older] hours ago span
    long enough: how far the driver moved up the queue, over how long."""
    votes = []
    left, right = -older, -newer
    for ages, hours, positions, weight in movers:
        start = bisect.bisect_left(ages, left)
        end = bisect.bisect_right(ages, right) - 1
        if end - start < 1:
            continue
        span = hours[start] - hours[end]
        if span < min_span:
            continue
        votes.append((positions[start] - positions[end], span, weight))
    return votes


def _counted_votes(votes: list[tuple[float, float, float]]) -> int:
    """How many of the pace votes come from drivers who count (weight at least ``COUNTED_TRUST``)."""
    return sum(1 for _, _, weight in votes if weight >= COUNTED_TRUST)


@dataclass(frozen=True, slots=True)
class _Pace:
    per_hour: float
    relative_error: float
    votes: int


def _pace(votes: list[tuple[float, float, float]]) -> _Pace | None:
    """Trucks per hour from the drivers' progress, or None with fewer than 2 votes.

    A robust ratio estimator: drivers whose own pace is far from the weighted median are dropped (a liar or a
    miscount), then the pace is the total progress over the total time of the rest, so that a driver who watched
    for six hours counts more than one who watched for one.
    """
    if _counted_votes(votes) < 2:
        return None
    slopes = [(cleared / span, weight * min(1.0, span / 3)) for cleared, span, weight in votes]
    centre = _weighted_median(slopes)
    spread = max(_spread(slopes, centre), 0.1 * abs(centre), 0.5)
    kept = [vote for vote, (slope, _) in zip(votes, slopes, strict=True) if abs(slope - centre) <= 2.5 * spread]
    hours = sum(span * weight for _, span, weight in kept)
    if hours <= 0:
        return None
    per_hour = max(0.0, sum(cleared * weight for cleared, _, weight in kept) / hours)
    counted = max(1, _counted_votes(kept))
    relative = max(spread / max(per_hour, 1.0), MIN_VOTE_SPREAD) / math.sqrt(counted)
    return _Pace(per_hour, relative, counted)


def _self_contradictions(driver: _Driver) -> int:
    """Claims of a driver that contradict their own other claims: more than one crossing in the window (a truck
    crosses once a day at most here) and reports in the queue after having crossed."""
    return max(0, len(driver.crossed) - 1) + driver.other_after_crossed


def _learn_trust(drivers: dict[str, _Driver], usual_pace: float | None) -> None:
    """Trust grows when a driver's claims agree with what happened later and falls when they are contradicted.

    Contradictions: more than one crossing in the window (a truck crosses once a day at most here), reports in
    the queue after having crossed, and a claimed position that should have been cleared long before a later
    report still in the queue. Agreement: a crossing that came about when the driver's earlier positions said.
    """
    for driver in drivers.values():
        trust = UNVERIFIED_TRUST
        contradictions = _self_contradictions(driver)
        if usual_pace and usual_pace > 0:
            if not driver.crossed and len(driver.hours) >= 2:
                newest = driver.hours[-1]
                for hours, position in zip(driver.hours[:-1], driver.positions[:-1], strict=False):
                    due = (position + 5) / usual_pace * 2 + 1.0  # hours by which this truck should be through
                    if hours - newest > due:
                        contradictions += 1
                        break
            if driver.crossed and len(driver.hours) >= 2 and contradictions == 0:
                first_hours, first_position = driver.hours[0], driver.positions[0]
                elapsed = first_hours - driver.crossed[0][0]
                if elapsed > 0.5 and first_position > 0:
                    implied = first_position / elapsed
                    if 0.5 <= implied / usual_pace <= 2.0:
                        trust = 1.0
        driver.trust = trust * CONTRADICTION_TRUST**contradictions


def _wait_from_pace(queue_length: float, shape: Sequence[float], normal: float, level: float) -> float:
    """Hours until ``queue_length`` trucks are cleared.

    The pace is ``shape`` (the day/night rhythm over the next day, mean 1, in ``len(shape)`` slices) times a level
    that starts at ``level`` and returns to ``normal`` with the time constant ``REVERSION_HOURS``.
    """
    step = DAY_HOURS / len(shape)
    cleared, hours = 0.0, 0.0
    limit = MAX_WAIT_MINUTES / 60
    while hours < limit:
        middle = hours + step / 2
        pace = shape[int(hours // step) % len(shape)] * (
            normal + (level - normal) * math.exp(-middle / REVERSION_HOURS)
        )
        gained = pace * step
        if gained > 0 and cleared + gained >= queue_length:
            return hours + (queue_length - cleared) / pace
        cleared += gained
        hours += step
    return limit


def _wait_on_schedule(
    queue_length: float,
    shape: Sequence[float],
    normal: float,
    level: float,
    schedule: QueueSchedule,
    as_of: datetime,
    used_today: float,
) -> float:
    """Hours until ``queue_length`` trucks are cleared, as ``_wait_from_pace`` but only while the schedule lets
    trucks through: nothing outside the opening hours or during a planned closure, and no more than the daily quota
    per local day (``used_today`` of it already spent)."""
    step = SCHEDULE_STEP_HOURS
    bin_hours = DAY_HOURS / len(shape)
    cleared, hours = 0.0, 0.0
    limit = MAX_WAIT_MINUTES / 60
    day = schedule.local_day_start(as_of)
    used = used_today
    while hours < limit:
        at = as_of + timedelta(hours=hours + step / 2)
        middle = hours + step / 2
        pace = 0.0
        if schedule.open_at(at):
            pace = shape[int(hours // bin_hours) % len(shape)] * (
                normal + (level - normal) * math.exp(-middle / REVERSION_HOURS)
            )
        today = schedule.local_day_start(at)
        if today != day:
            day, used = today, 0.0
        gained = pace * step
        if schedule.daily_quota is not None:
            gained = max(0.0, min(gained, schedule.daily_quota - used))
            used += gained
        if gained > 0 and cleared + gained >= queue_length:
            return hours + (queue_length - cleared) / gained * step
        cleared += gained
        hours += step
    return limit


def _day_shape(movers: list[_Mover], prior: float) -> tuple[list[float], float]:
    """The day/night rhythm: the pace over each slice of the past day relative to the day (mean 1), as the
    forecast for the same hours of the coming day; and the day's typical pace (the median ordinary slice).

    Each slice is shrunk towards ``prior`` when few drivers saw it: the queue's normal pace (the past day's pace
    only when no normal is known), so that a closure yesterday does not drag every thinly seen slice down with it.
    A slice outside a rhythm's range of the median slice (SHAPE_MIN–SHAPE_MAX) was an event (a closure, a
    slowdown), not a rhythm to expect again today: it counts as an ordinary hour, and the typical pace is the
    median of the ordinary slices only (event slices do not define what is typical).
    """
    step = DAY_HOURS / PROFILE_BINS
    paces = []
    for index in range(PROFILE_BINS):
        older = DAY_HOURS - index * step
        pace = _pace(_pace_votes(movers, older - step, older))
        if pace is None:
            paces.append(prior)
            continue
        paces.append((pace.votes * pace.per_hour + PROFILE_PRIOR_VOTES * prior) / (pace.votes + PROFILE_PRIOR_VOTES))
    centre = sorted(paces)[PROFILE_BINS // 2]
    if centre <= 0:
        return [1.0] * PROFILE_BINS, prior
    ordinary = sorted(value for value in paces if SHAPE_MIN <= value / centre <= SHAPE_MAX)
    centre = ordinary[len(ordinary) // 2]  # never empty: the median slice itself is ordinary
    profile = [value / centre if SHAPE_MIN <= value / centre <= SHAPE_MAX else 1.0 for value in paces]
    mean = sum(profile) / len(profile)
    return [value / mean for value in profile], centre * mean


def normal_pace(*, history: Sequence[float]) -> float | None:
    """The pace a queue normally keeps: the median of its past paces (``EstimateResult.pace_level_per_hour``, the
    pace with the day/night rhythm taken out, sampled about hourly over ``NORMAL_MEMORY``); None with fewer than
    ``NORMAL_MIN_POINTS`` points. Hours below ``NORMAL_EVENT_SHARE`` of the upper quartile are events and left out,
    so that a long slowdown does not become the normal."""
    values = sorted(value for value in history if value is not None and value >= 0)
    if len(values) < NORMAL_MIN_POINTS:
        return None
    # Hours far below the usual upper range were events (a closure, a slowdown), not the normal: left out.
    upper = values[(3 * len(values)) // 4]
    values = [value for value in values if value >= NORMAL_EVENT_SHARE * upper]
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def pace_memory_start(as_of: datetime) -> datetime:
    """The start of the oldest hour ``normal_pace`` remembers at ``as_of``: the first whole UTC hour that begins
    within ``NORMAL_MEMORY`` before it. Whole hours, so that a sliding memory keeps or drops an hour at once."""
    earliest = as_of.astimezone(UTC) - NORMAL_MEMORY
    floored = earliest.replace(minute=0, second=0, microsecond=0)
    return floored if floored == earliest else floored + _HOUR


def pace_history_hourly(points: Iterable[tuple[datetime, float | None]], *, as_of: datetime) -> list[float]:
    """The hourly history ``normal_pace`` takes at ``as_of``, from a queue's earlier estimates.

    ``points`` are ``(at, pace_level_per_hour)`` of the queue's estimates in time order (a pace may be None).
    One value per UTC hour: the first known pace of each hour that starts at or after ``pace_memory_start(as_of)``,
    from points strictly before ``as_of``. The service (from its stored history points) and ``replay_reports``
    (from the results it has computed) both build the memory with it, so they remember the same paces.
    """
    start = pace_memory_start(as_of)
    paces: list[float] = []
    last_hour: datetime | None = None
    for at, pace in points:
        if pace is None or at < start or at >= as_of:
            continue
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        if hour != last_hour:
            paces.append(pace)
            last_hour = hour
    return paces


def track_point(result: EstimateResult) -> TrackPoint:
    """What a caller remembers of an estimate for later ones (see ``QueueParams.track``)."""
    return TrackPoint(
        at=result.computed_at,
        wait_minutes=result.wait_minutes,
        predictors=dict(result.predictors),
    )


def track_window(points: Iterable[TrackPoint], *, as_of: datetime) -> tuple[TrackPoint, ...]:
    """The points of ``points`` (oldest first) that the estimate at ``as_of`` may use: within ``TRACK_MEMORY``
    before it and strictly before it. A deque is trimmed of expired points in place."""
    earliest = as_of - TRACK_MEMORY
    if isinstance(points, deque):
        while points and points[0].at < earliest:
            points.popleft()
    return tuple(point for point in points if earliest <= point.at < as_of)


def estimate_wait(
    *, samples: Sequence[Sample], as_of: datetime, queue: QueueParams | None = None
) -> EstimateResult | None:
    """The expected wait of a truck joining the queue at ``as_of``; ``None`` when there is nothing to go on.

    ``samples`` are the reports received by ``as_of``; those observed outside ``SAMPLE_WINDOW`` before it (or
    received after it) are ignored. The result may be unpublishable (fewer than ``MIN_DRIVERS`` drivers).
    """
    queue = queue or QueueParams()
    drivers, used, newest = _drivers(samples, as_of, queue.vehicle_spacing_m)
    if not drivers:
        return None

    # The usual pace (a whole day, so the day/night rhythm averages out), then trust, then the pace again. Claims
    # that contradict themselves (two crossings, reports after a crossing) cost trust before the first pass, so that
    # a flooder's copies never shape the pace that everyone else's trust is judged by.
    for driver in drivers.values():
        driver.trust = UNVERIFIED_TRUST * CONTRADICTION_TRUST ** _self_contradictions(driver)
    usual = _pace(_pace_votes(_movers(drivers), 0.0, LONG_HOURS))
    _learn_trust(drivers, usual.per_hour if usual else None)
    movers = _movers(drivers)
    usual = _pace(_pace_votes(movers, 0.0, LONG_HOURS))

    recent_hours = RECENT_HOURS
    recent_votes = _pace_votes(movers, 0.0, recent_hours)
    # Thresholds of "enough drivers" count only drivers who count (COUNTED_TRUST): a distrusted account's vote keeps
    # its small weight but never decides which window is read.
    if _counted_votes(recent_votes) < 3:
        recent_hours = WIDE_RECENT_HOURS
        recent_votes = _pace_votes(movers, 0.0, recent_hours)
    recent = _pace(recent_votes)
    same_hour_yesterday = _pace(_pace_votes(movers, DAY_HOURS, DAY_HOURS + recent_hours))

    # Queue length: the positions drivers gave when they joined, newest first, one per driver.
    length_votes: list[tuple[float, float]] = []
    length_counted = 0
    for window in JOIN_WINDOWS_HOURS:
        joiners = [driver for driver in drivers.values() if driver.joined and driver.joined[-1].hours <= window]
        length_votes = [
            (driver.joined[-1].position, driver.trust * driver.weight * math.exp(-driver.joined[-1].hours / window))
            for driver in joiners
        ]
        length_counted = sum(1 for driver in joiners if driver.trust * driver.weight >= COUNTED_TRUST)
        if length_counted >= 3:
            break
    length_votes = [vote for vote in length_votes if vote[1] > 0]
    if not length_votes:
        latest = [
            (driver.positions[-1], driver.trust * driver.weight)
            for driver in drivers.values()
            if driver.hours and driver.hours[-1] <= WIDE_RECENT_HOURS and not driver.crossed
        ]
        length_votes = [(max(value for value, _ in latest), 1.0)] if latest else []
        length_counted = len(length_votes)
    queue_length = _weighted_median(length_votes) if length_votes else None
    length_sigma = (
        max(_spread(length_votes, queue_length) / max(queue_length, 1.0), MIN_VOTE_SPREAD)
        / math.sqrt(max(1, length_counted))
        if queue_length is not None and length_counted >= 2
        else 0.5
    )

    # Realised waits of recent crossings, one per driver.
    realised_votes: list[tuple[float, float]] = []
    counted_realised = 0
    for window in REALISED_WINDOWS_HOURS:
        realised_votes = []
        counted_realised = 0
        for driver in drivers.values():
            for hours, waited in reversed(driver.crossed):
                if hours > window:
                    continue
                if waited is None and driver.joined:
                    waited = round((driver.joined[0].hours - hours) * 60)
                if waited is not None:
                    realised_votes.append((float(waited), driver.trust * driver.weight))
                    counted_realised += int(driver.trust * driver.weight >= COUNTED_TRUST)
                    break
        realised_votes = [vote for vote in realised_votes if vote[1] > 0]
        if counted_realised >= 3:
            break

    # The pace level now, with the day/night rhythm taken out (compared with the same hours yesterday), against
    # the normal level of this queue. A departure beyond the dead band is a change (slowdown, closure, recovery).
    schedule = queue.schedule if queue.schedule is not None and queue.schedule.known else None
    normal = queue.normal_per_hour if queue.normal_per_hour else (usual.per_hour if usual else None)
    if normal and schedule is not None and not queue.normal_per_hour:
        # The past day's pace averages in the hours the schedule kept the border shut: the pace while open is more.
        normal /= max(MIN_OPEN_SHARE, schedule.open_share(as_of - timedelta(hours=LONG_HOURS), as_of))
    if normal:
        closing_votes = _pace_votes(movers, 0.0, CLOSURE_HOURS, min_span=CLOSURE_MIN_SPAN)
        closing = _pace(closing_votes)
        watched = sum(span for _, span, weight in closing_votes if weight >= COUNTED_TRUST)
        if (
            closing is not None
            and closing.per_hour <= CLOSURE_SHARE * normal
            and normal * watched >= CLOSURE_EXPECTED
            and (recent is None or closing.per_hour < recent.per_hour)
        ):
            recent = closing
    # What the schedule expected of the recent window: the share of it the border was to be open (hours, planned
    # closures, quota left). A border seen still while open with a daily quota has spent the day's quota.
    quota_spent = False
    expected_share = 1.0
    if schedule is not None and normal:
        quota_spent = (
            schedule.daily_quota is not None
            and schedule.open_at(as_of)
            and recent is not None
            and recent.per_hour <= CLOSURE_SHARE * normal
        )
        expected_share = (
            0.0
            if quota_spent
            else expected_open_share(schedule, start=as_of - timedelta(hours=recent_hours), end=as_of, pace=normal)
        )
    level = normal
    deseasonalised: float | None = None
    rhythm_known = same_hour_yesterday is not None
    shape, typical = _day_shape(movers, normal) if usual is not None and normal else ([1.0] * PROFILE_BINS, 0.0)
    if recent is not None and usual is not None and typical > 0 and normal and expected_share >= MIN_OPEN_SHARE:
        rhythm = 1.0
        if same_hour_yesterday is not None and schedule is None:
            # Yesterday at this hour, relative to yesterday's typical hour; far outside a rhythm's range it was an
            # event (a closure, a slowdown) and says nothing about the hour. (A known schedule stands for it.)
            candidate = same_hour_yesterday.per_hour / typical
            rhythm = candidate if SHAPE_MIN <= candidate <= SHAPE_MAX else 1.0
        deseasonalised = recent.per_hour / (rhythm * expected_share)
        raw = min(MAX_PACE_RATIO, max(MIN_PACE_RATIO, deseasonalised / normal))
        gap = abs(math.log(raw))
        gate = min(1.0, max(0.0, (gap - CHANGE_DEADBAND) / CHANGE_DEADBAND))
        level = normal * math.exp(math.log(raw) * gate)
    change = min(abs(math.log(level / normal)), math.log(MAX_PACE_RATIO)) if level and normal else 0.0

    estimates: list[tuple[float, float]] = []  # (log minutes, log sigma)
    forecast_log: float | None = None
    realised_log: float | None = None
    if queue_length is not None and usual is not None and normal:
        if schedule is not None:
            spent = (
                float(schedule.daily_quota or 0)
                if quota_spent
                else quota_used(schedule, at=as_of, pace=level or normal)
            )
            hours = _wait_on_schedule(queue_length + 1, shape, normal, level or 0.0, schedule, as_of, spent)
        else:
            hours = _wait_from_pace(queue_length + 1, shape, normal, level or 0.0)
        sigma = math.sqrt(
            length_sigma**2
            + usual.relative_error**2
            + (recent.relative_error if recent else 0.3) ** 2 * min(1.0, change * 3)
        )
        forecast_log = math.log(max(hours * 60, 1.0))
        estimates.append((forecast_log, sigma))
    if realised_votes:
        centre = _weighted_median(realised_votes)
        spread = max(_spread(realised_votes, centre) / max(centre, 1.0), MIN_VOTE_SPREAD) / math.sqrt(
            max(1, counted_realised)
        )
        # A realised wait describes the queue as it was when those trucks joined: it lags behind a change.
        sigma = math.sqrt(
            spread**2 + REALISED_LAG_SIGMA**2 + (1.5 * change) ** 2 + (0.5 if counted_realised < 2 else 0.0) ** 2
        )
        realised_log = math.log(max(centre, 1.0))
        estimates.append((realised_log, sigma))
    day_ago_log = _day_ago(drivers)
    # Evidence of service: drivers were seen moving up, or trucks were seen crossing. Without it a queue length
    # alone says nothing about the wait (it could be a closed border or three drivers parked for the night).
    evidence = counted_realised > 0 or (usual is not None and usual.per_hour > 0)
    if not estimates:
        if queue_length is None:
            return None
        estimates.append((math.log(MAX_WAIT_MINUTES), 2.0))

    precision = sum(1 / max(sigma, 1e-3) ** 2 for _, sigma in estimates)
    log_wait = sum(value / max(sigma, 1e-3) ** 2 for value, sigma in estimates) / precision
    stale = newest is None or as_of - newest > STALE_AFTER
    counted = sum(1 for driver in drivers.values() if driver.trust * driver.weight >= COUNTED_TRUST)
    sigma = math.sqrt(
        1 / precision
        + FLOOR_SIGMA**2
        + (CHANGE_SIGMA * change) ** 2
        + (STALE_SIGMA if stale else 0.0) ** 2
        + FEW_DRIVERS_SIGMA**2 / max(counted, 1)
        + (0.0 if rhythm_known else RHYTHM_UNKNOWN_SIGMA**2)
    )
    track = sorted(queue.track, key=_TRACK_AT)
    calibration = _calibrate(_calibration_pairs(drivers, as_of, track))
    if calibration is not None:
        log_wait = calibration.combine(
            {"forecast": forecast_log, "realised": realised_log, "day_ago": day_ago_log}, fallback=log_wait
        )
    log_wait = _smooth(track, as_of, log_wait)
    if calibration is not None:
        # The realised errors' percentiles, never narrower than the model's own uncertainty up to
        # CALIBRATION_MODEL_SIGMA: realised waits arrive a wait late, so they cannot yet know of a change under way.
        model = Z80 * min(sigma, CALIBRATION_MODEL_SIGMA) + (Z80 * STALE_SIGMA if stale else 0.0)
        low_log = log_wait + min(calibration.low, -model)
        high_log = log_wait + max(calibration.high, model)
        if forecast_log is not None:
            # A change under way shows first in the forecast: the interval reaches towards it on its side only.
            reach = log_wait + DISAGREEMENT_REACH * (forecast_log - log_wait)
            widest = max(high_log - low_log, math.log(DISAGREEMENT_MAX_WIDTH))
            if reach > high_log:
                high_log = min(reach, low_log + widest)
            elif reach < low_log:
                low_log = max(reach, high_log - widest)
    else:
        low_log, high_log = log_wait - Z80 * sigma, log_wait + Z80 * sigma
    wait = min(MAX_WAIT_MINUTES, math.exp(log_wait))
    low = min(wait, math.exp(low_log))
    high = min(MAX_WAIT_MINUTES, max(wait, math.exp(high_log)))

    relative_width = (high - low) / max(wait, 1.0)
    if not stale and counted >= 8 and relative_width <= 0.6:
        confidence = "high"
    elif not stale and counted >= 4 and relative_width <= 1.2:
        confidence = "medium"
    else:
        confidence = "low"
    return EstimateResult(
        wait_minutes=round(wait),
        low_minutes=round(low),
        high_minutes=round(high),
        queue_length=round(queue_length) if queue_length is not None else None,
        throughput_per_hour=round(recent.per_hour, 1) if recent else (round(usual.per_hour, 1) if usual else None),
        pace_level_per_hour=round(deseasonalised, 2) if deseasonalised is not None else None,
        reports=used,
        drivers=counted,
        computed_at=as_of,
        data_until=newest,
        stale=stale,
        confidence=confidence,
        predictors={
            name: round(math.exp(value), 1)
            for name, value in (("forecast", forecast_log), ("realised", realised_log), ("day_ago", day_ago_log))
            if value is not None
        },
        evidence_of_service=evidence,
        calibration_pairs=calibration.pairs if calibration is not None else 0,
    )


_TRACK_AT = operator.attrgetter("at")


@dataclass(frozen=True, slots=True)
class _Pair:
    """A realised wait matched with the queue's estimate of the moment that truck joined."""

    realised_log: float
    estimate: TrackPoint
    weight: float


def _calibration_pairs(drivers: dict[str, _Driver], as_of: datetime, track: Sequence[TrackPoint]) -> list[_Pair]:
    """Each counted driver's latest realised wait in the window (``waited_minutes``, else the time since their
    ``joined``), matched with the track's estimate at most ``CALIBRATION_MATCH`` before that truck joined."""
    if not track:
        return []
    times = [point.at for point in track]
    pairs = []
    for driver in drivers.values():
        weight = driver.trust * driver.weight
        if weight < COUNTED_TRUST or not driver.crossed:
            continue
        hours, waited = driver.crossed[-1]
        if waited is None and driver.joined:
            waited = round((driver.joined[0].hours - hours) * 60)
        if waited is None or waited <= 0:
            continue
        joined_at = as_of - timedelta(hours=hours) - timedelta(minutes=waited)
        index = bisect.bisect_right(times, joined_at) - 1
        if index < 0 or joined_at - times[index] > CALIBRATION_MATCH:
            continue
        pairs.append(_Pair(math.log(waited), track[index], weight * math.exp(-hours / CALIBRATION_DECAY_HOURS)))
    return pairs


@dataclass(frozen=True, slots=True)
class _Calibration:
    """What realised waits say about this queue's recent estimates: how far each predictor tends to be off (mean
    squared log error, by name) and the 10th and 90th percentiles of the estimates' log errors (the 80% interval)."""

    errors: Mapping[str, float]
    low: float
    high: float
    pairs: int

    def combine(self, predictors: Mapping[str, float | None], *, fallback: float) -> float:
        """The predictors (log minutes) weighed by how right each has been here lately (inverse mean squared
        error); ``fallback`` when none has both a figure now and a record."""
        votes = [
            (value, 1 / self.errors[name])
            for name, value in sorted(predictors.items())
            if value is not None and name in self.errors
        ]
        if not votes:
            return fallback
        return sum(value * weight for value, weight in votes) / sum(weight for _, weight in votes)


def _weighted_quantile(values: Sequence[tuple[float, float]], share: float) -> float:
    ordered = sorted(values)
    total = sum(weight for _, weight in ordered)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= share * total:
            return value
    return ordered[-1][0]


def _calibrate(pairs: Sequence[_Pair]) -> _Calibration | None:
    """The calibration of ``pairs`` (None with fewer than ``CALIBRATION_MIN_PAIRS``)."""
    if len(pairs) < CALIBRATION_MIN_PAIRS:
        return None

    errors = {}
    for name in PREDICTORS:
        scored = [
            ((pair.realised_log - math.log(max(pair.estimate.predictors[name], 1.0))) ** 2, pair.weight)
            for pair in pairs
            if pair.estimate.predictors.get(name) is not None
        ]
        if len(scored) >= CALIBRATION_MIN_PAIRS:
            total = sum(weight for _, weight in scored)
            errors[name] = sum(error * weight for error, weight in scored) / total + CALIBRATION_SQUARED_FLOOR
    # The interval: the errors the combination as it weighs now would have made on those trucks (the estimate
    # then stands in where the point had no predictor it can weigh).
    combining = _Calibration(errors=errors, low=0.0, high=0.0, pairs=len(pairs))
    residuals = [
        (
            pair.realised_log
            - combining.combine(
                {name: math.log(max(value, 1.0)) for name, value in pair.estimate.predictors.items()},
                fallback=math.log(max(pair.estimate.wait_minutes, 1.0)),
            ),
            pair.weight,
        )
        for pair in pairs
    ]
    return _Calibration(
        errors=errors,
        low=_weighted_quantile(residuals, 0.1),
        high=_weighted_quantile(residuals, 0.9),
        pairs=len(pairs),
    )


def _day_ago(drivers: dict[str, _Driver]) -> float | None:
    """The "same time yesterday" predictor (log minutes): the weighted median wait realised by trucks that joined
    within ``DAY_AGO_SPAN`` of a day before ``as_of`` (one per driver; their crossings are in the window when they
    waited less than a day). A queue whose wait follows the day repeats it; None with fewer than 2 such trucks."""
    votes = []
    for driver in drivers.values():
        weight = driver.trust * driver.weight
        if weight < COUNTED_TRUST or not driver.crossed:
            continue
        hours, waited = driver.crossed[-1]
        if waited is None and driver.joined:
            waited = round((driver.joined[0].hours - hours) * 60)
        if waited is None or waited <= 0:
            continue
        if abs(hours + waited / 60 - DAY_HOURS) <= DAY_AGO_SPAN_HOURS:
            votes.append((float(waited), weight))
    return math.log(_weighted_median(votes)) if len(votes) >= 2 else None


def _smooth(track: Sequence[TrackPoint], as_of: datetime, log_wait: float) -> float:
    """Moves from the previous estimate (the newest track point before ``as_of``, if recent) towards ``log_wait``
    with the time constant ``SMOOTH_HOURS``: a tick moves the estimate only part of the way new evidence points."""
    previous = next((point for point in reversed(track) if point.at < as_of), None)
    if previous is None or as_of - previous.at > SMOOTH_GAP or previous.wait_minutes <= 0:
        return log_wait
    share = 1 - math.exp(-((as_of - previous.at) / _HOUR) / SMOOTH_HOURS)
    before = math.log(previous.wait_minutes)
    return before + share * (log_wait - before)
