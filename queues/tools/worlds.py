"""A family of randomised border-queue worlds, for judging the estimator on worlds it was not tuned on.

``simulate_queue`` (``queues.tools.simulation``) runs five fixed scenarios of one world. This module draws whole worlds
at random: the border (its mean pace, day/night amplitude, lanes, opening hours, a daily quota, closures and
slowdowns) and its reporters (how many trucks use the app, how many reports a visit sends, per-report count noise,
per-driver bias, rounding to tens, late delivery, drivers who stop reporting mid-visit, flooding accounts). Each
world belongs to a *class* (``WORLD_CLASSES``) that fixes what kind of world it is (a closure, a quota, sloppy
reporters...) while everything else is drawn from wide ranges.

Seeds are split in two: ``TUNING_SEEDS`` may be looked at while choosing the estimator's parameters;
``HELD_OUT_SEEDS`` are never tuned on, and the figures that count are theirs (``bench/worlds.py``).

Pure and deterministic per (class, seed): no clock, no ORM. The output has the contract's formats
(``reports.jsonl`` and ``truth.jsonl`` lines), so worlds are scored through ``replay`` exactly as
``replay_reports`` runs.
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from core.http import utc_iso
from queues.domain.schedule import OpeningHours, QueueSchedule

WORLD_CLASSES = ("steady", "slowdown", "closure", "flooders", "sparse", "hours", "quota", "sloppy")
TUNING_SEEDS = (1, 2, 3, 4)
HELD_OUT_SEEDS = (1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008)
WORLD_START = datetime(2026, 11, 2, tzinfo=UTC)
WORLD_CROSSING = "world-crossing"
WORLD_DIRECTION = "KZ-RU"

# Targets, per class, on the held-out seeds (see docs/benchmarks.md).
TARGET_RATIO = 0.6
TARGET_HIT = (0.70, 0.90)
TARGET_PUBLISHED = 0.95
TARGET_MOVE_RATIO = 3.0
TARGET_MOVE_MINUTES = 15.0
TARGET_WIDTH = 4.0


@dataclass(frozen=True)
class World:
    """Every parameter of one drawn world; times in hours from ``start_at``, rates in trucks per hour."""

    world_class: str
    seed: int
    hours: float
    start_at: datetime = WORLD_START
    crossing: str = WORLD_CROSSING
    direction: str = WORLD_DIRECTION
    utc_offset_hours: float = 5.0
    # The border
    service_per_hour: float = 20.0  # mean capacity over a normal day
    service_cv: float = 0.3
    day_amplitude: float = 0.3
    peak_hour: float = 13.0  # local
    lanes: int = 1
    open_hours: tuple[float, float] | None = None  # local (open, close): closed outside
    daily_quota: int | None = None  # trucks per local day; the border works fast until they are through
    quota_pace: float = 0.0  # trucks per hour while the quota lasts
    closures: tuple[tuple[float, float], ...] = ()  # (from, hours)
    slowdowns: tuple[tuple[float, float, float], ...] = ()  # (from, hours, factor)
    # The trucks
    arrival_amplitude: float = 0.5
    target_wait_hours: float = 15.0  # arrivals balance service around this wait
    # The reporters
    app_share: float = 0.2
    reports_per_visit: float = 4.0  # mean, 1–12
    join_share: float = 0.85  # visits that start with a joined report
    count_noise: float = 0.05  # relative sd of one count
    bias_max: float = 0.1  # each driver over/under-counts by a factor in [1 - b, 1 + b]
    rounding_share: float = 0.0  # drivers who round their counts to tens
    distance_share: float = 0.3
    spacing_m: float = 20.0  # metres per truck in one lane
    catalogue_spacing_m: float = 20.0  # what the catalogue says (trucks per metre of road over all lanes)
    late_share: float = 0.15
    late_mean_hours: float = 3.0
    stop_share: float = 0.1  # reporters who stop reporting mid-visit
    crossed_waited_share: float = 0.9
    abandon_share: float = 0.02
    flooders: int = 0
    flood_every_minutes: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)

    def local_hour(self, hours: float) -> float:
        return (self.start_at.hour + self.utc_offset_hours + hours) % 24

    def local_day(self, hours: float) -> int:
        return math.floor((self.start_at.hour + self.utc_offset_hours + hours) / 24)


def world_draw(*, world_class: str, seed: int, hours: float = 120.0) -> World:
    """The world of ``world_class`` drawn from ``seed``: the same pair always gives the same world."""
    if world_class not in WORLD_CLASSES:
        raise ValueError(f"unknown world class {world_class!r}; known: {', '.join(WORLD_CLASSES)}")
    rng = random.Random(f"kezek-world-{world_class}-{seed}")  # noqa: S311 - a reproducible simulation
    service = rng.uniform(10, 40)
    lanes = rng.choice((1, 1, 2, 3))
    spacing = rng.uniform(15, 25)
    values: dict[str, Any] = {
        "world_class": world_class,
        "seed": seed,
        "hours": hours,
        "utc_offset_hours": rng.choice((5.0, 6.0, 8.0, 3.0)),
        "service_per_hour": service,
        "service_cv": rng.uniform(0.2, 0.6),
        "day_amplitude": rng.uniform(0.0, 0.5),
        "peak_hour": rng.uniform(10, 16),
        "lanes": lanes,
        "arrival_amplitude": rng.uniform(0.2, 0.8),
        "target_wait_hours": rng.uniform(6, 24),
        "app_share": rng.uniform(0.08, 0.30),
        "reports_per_visit": rng.uniform(1, 12),
        "join_share": rng.uniform(0.6, 0.95),
        "count_noise": rng.uniform(0.0, 0.25),
        "bias_max": rng.uniform(0.0, 0.35),
        "rounding_share": rng.uniform(0.0, 0.5),
        "distance_share": rng.uniform(0.0, 0.4),
        "spacing_m": spacing,
        # The operator knows the road metres per truck over all lanes, to within ±15%.
        "catalogue_spacing_m": spacing / lanes * rng.uniform(0.85, 1.15),
        "late_share": rng.uniform(0.05, 0.3),
        "late_mean_hours": rng.uniform(1, 6),
        "stop_share": rng.uniform(0.0, 0.3),
        "crossed_waited_share": rng.uniform(0.6, 0.95),
        "abandon_share": rng.uniform(0.0, 0.04),
        "flooders": 0,
    }
    if world_class == "slowdown":
        factor = rng.uniform(0.2, 0.5)
        values["slowdowns"] = ((rng.uniform(30, 60), rng.uniform(12, 40), factor),)
    elif world_class == "closure":
        first = rng.uniform(30, 60)
        closures = [(first, rng.uniform(4, 12))]
        if rng.random() < 0.5:
            closures.append((first + rng.uniform(24, 40), rng.uniform(3, 8)))
        values["closures"] = tuple(closures)
    elif world_class == "flooders":
        values["flooders"] = rng.randint(1, 4)
        values["flood_every_minutes"] = rng.uniform(2, 15)
    elif world_class == "sparse":
        values["app_share"] = rng.uniform(0.03, 0.06)
    elif world_class == "hours":
        opens = rng.choice((7.0, 8.0, 9.0))
        values["open_hours"] = (opens, opens + rng.choice((9.0, 10.0, 12.0)))
        values["day_amplitude"] = rng.uniform(0.0, 0.2)
    elif world_class == "quota":
        values["daily_quota"] = round(service * 24)
        values["quota_pace"] = service * rng.uniform(1.5, 2.5)
        values["day_amplitude"] = rng.uniform(0.0, 0.2)
    elif world_class == "sloppy":
        values["count_noise"] = rng.uniform(0.15, 0.25)
        values["bias_max"] = rng.uniform(0.25, 0.35)
        values["rounding_share"] = rng.uniform(0.5, 1.0)
        values["reports_per_visit"] = rng.uniform(1, 3)
    return World(**values)


def world_service_rate(world: World, hours: float) -> float:
    """What the border could clear per hour at ``hours`` (before the quota, which depends on the day's count)."""
    local = world.local_hour(hours)
    if world.daily_quota is not None:
        rate = world.quota_pace
    elif world.open_hours is not None:
        opens, closes = world.open_hours
        if not opens <= local < closes:
            return 0.0
        rate = world.service_per_hour * 24 / (closes - opens)
    else:
        rate = world.service_per_hour
    rate *= 1 + world.day_amplitude * math.cos(2 * math.pi * (local - world.peak_hour) / 24)
    for start, length in world.closures:
        if start <= hours < start + length:
            return 0.0
    for start, length, factor in world.slowdowns:
        if start <= hours < start + length:
            rate *= factor
    return rate


def _arrival_rate(world: World, hours: float, queue_length: int) -> float:
    local = world.local_hour(hours)
    base = world.service_per_hour * (1 + world.arrival_amplitude * math.cos(2 * math.pi * (local - 15) / 24))
    target = world.service_per_hour * world.target_wait_hours
    pressure = 1 + 0.8 * (target - queue_length) / target
    return base * min(1.8, max(0.25, pressure))


def _service_events(world: World, rng: random.Random, until: float) -> list[float]:
    """Moments the border clears a truck: capacity accrues at the service rate, each truck takes a Gamma share of
    it (coefficient of variation ``service_cv``, smaller with more lanes); a quota stops the day's clearing."""
    cv = world.service_cv / math.sqrt(world.lanes)
    shape = 1 / cv**2
    events: list[float] = []
    step = 1 / 60
    accrued, needed = 0.0, rng.gammavariate(shape, 1 / shape)
    day, cleared_today = None, 0
    for minute in range(math.ceil(until / step)):
        now = minute * step
        if world.daily_quota is not None:
            today = world.local_day(now)
            if today != day:
                day, cleared_today = today, 0
            if cleared_today >= world.daily_quota:
                continue
        rate = world_service_rate(world, now + step / 2)
        if rate <= 0:
            continue
        offset = 0.0
        while accrued + rate * (step - offset) >= needed:
            offset += (needed - accrued) / rate
            events.append(now + offset)
            cleared_today += 1
            accrued, needed = 0.0, rng.gammavariate(shape, 1 / shape)
            if world.daily_quota is not None and cleared_today >= world.daily_quota:
                break
        accrued += rate * max(0.0, step - offset)
    return [event for event in events if event < until]


@dataclass
class _Truck:
    joined: float
    exit: float = math.inf
    crossed: bool = False
    ahead_at_join: int = 0


def _run_queue(world: World, rng: random.Random, until: float) -> tuple[list[_Truck], list[float]]:
    """A FIFO queue: trucks arrive (Poisson, thinned by the arrival rate) and leave at service events (or give
    up). Returns every truck in join order and the moments a truck was cleared."""
    service_candidates = _service_events(world, rng, until)
    peak = world.service_per_hour * (1 + world.arrival_amplitude) * 1.8
    initial = round(world.service_per_hour * world.target_wait_hours)
    trucks = [_Truck(joined=-(initial - i) / world.service_per_hour, ahead_at_join=i) for i in range(initial)]
    waiting = list(range(len(trucks)))
    head, present = 0, len(trucks)
    abandon_at: list[tuple[float, int]] = []
    served: list[float] = []
    now, i = 0.0, 0
    while True:
        now += rng.expovariate(peak)
        while i < len(service_candidates) and service_candidates[i] <= now:
            moment = service_candidates[i]
            i += 1
            while abandon_at and abandon_at[0][0] <= moment:
                gives_up, index = abandon_at.pop(0)
                if trucks[index].exit == math.inf:
                    trucks[index].exit = gives_up
                    present -= 1
            while head < len(waiting) and trucks[waiting[head]].exit != math.inf:
                head += 1
            if head < len(waiting):
                truck = trucks[waiting[head]]
                truck.exit, truck.crossed = moment, True
                head += 1
                present -= 1
                served.append(moment)
        if now >= until:
            break
        if rng.random() * peak < _arrival_rate(world, now, present):
            trucks.append(_Truck(joined=now, ahead_at_join=present))
            waiting.append(len(trucks) - 1)
            present += 1
            if rng.random() < world.abandon_share:
                bisect.insort(abandon_at, (now + rng.uniform(1, 12), len(trucks) - 1))
        if head > 4096:
            waiting, head = waiting[head:], 0
    return trucks, served


def _iso(at: datetime) -> str:
    return utc_iso(at)


@dataclass(frozen=True)
class WorldRun:
    """One drawn world's report stream and truth (the contract's JSONL lines as dicts)."""

    world: World
    reports: list[dict[str, Any]]
    truth: list[dict[str, Any]]

    @property
    def spacing_m(self) -> dict[str, float]:
        """What the catalogue says of this world's crossing (metres of road per queued truck)."""
        return {self.world.crossing: self.world.catalogue_spacing_m}

    @property
    def schedules(self) -> dict[tuple[str, str], QueueSchedule]:
        """What the catalogue says of this world's schedule, as an operator would enter it: the opening hours and
        the daily quota (a world's closures and slowdowns are unannounced events, not in the catalogue)."""
        world = self.world
        if world.open_hours is None and world.daily_quota is None:
            return {}
        hours = None
        if world.open_hours is not None:
            opens, closes = world.open_hours
            hours = OpeningHours(_clock(opens), _clock(closes))
        offset = round(world.utc_offset_hours)
        zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"
        return {
            (world.crossing, world.direction): QueueSchedule(time_zone=zone, hours=hours, daily_quota=world.daily_quota)
        }


def _clock(hours: float) -> time:
    whole = int(hours) % 24
    return time(whole, round((hours - int(hours)) * 60) % 60)


def world_simulate(world: World) -> WorldRun:
    """Runs ``world``: the reports its drivers (and flooders) send, in received order, and the true waits."""
    rng = random.Random(f"kezek-world-run-{world.world_class}-{world.seed}")  # noqa: S311 - reproducible
    horizon = world.hours
    trucks, served = _run_queue(world, rng, horizon + 24 * 8)
    exits_sorted = sorted(truck.exit for truck in trucks)
    reports: list[dict[str, Any]] = []

    def report(driver: str, kind: str, observed: float, **values: Any) -> None:
        if observed < 0 or observed >= horizon:
            return
        late = rng.random() < world.late_share
        delay = rng.expovariate(1 / world.late_mean_hours) if late else rng.uniform(0, 0.03)
        reports.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "crossing": world.crossing,
                "direction": world.direction,
                "kind": kind,
                "observed_at": _iso((world.start_at + timedelta(hours=observed)).replace(microsecond=0)),
                **values,
                "driver": driver,
                "received_at": _iso((world.start_at + timedelta(hours=observed + delay)).replace(microsecond=0)),
            }
        )

    for number, truck in enumerate(trucks):
        if truck.joined >= horizon or truck.exit < 0 or rng.random() >= world.app_share:
            continue
        driver = f"w{world.seed}-{number}"
        bias = 1 + rng.uniform(-world.bias_max, world.bias_max)
        rounds = rng.random() < world.rounding_share
        ends = truck.exit if truck.exit != math.inf else horizon
        stops = rng.random() < world.stop_share
        if stops:
            ends = truck.joined + (ends - truck.joined) * rng.random()

        def counted(when: float, truck: _Truck = truck, bias: float = bias, rounds: bool = rounds) -> int:
            gone = bisect.bisect_right(exits_sorted, when) - bisect.bisect_right(exits_sorted, truck.joined)
            ahead = max(0, truck.ahead_at_join - max(0, gone))
            value = max(0.0, ahead * bias * (1 + rng.gauss(0, world.count_noise)))
            return round(value, -1) if rounds else round(value)

        wanted = min(12, max(1, 1 + _poisson(rng, world.reports_per_visit - 1)))
        joins = truck.joined >= 0 and rng.random() < world.join_share
        crosses = truck.crossed and not stops
        positions = max(0, wanted - joins - crosses)
        if joins:
            report(driver, "joined", truck.joined, position=int(counted(truck.joined)))
        start = max(truck.joined, 0.0)
        for when in sorted(rng.uniform(start, ends) for _ in range(positions)):
            value = int(counted(when))
            if rng.random() < world.distance_share:
                metres = value / world.lanes * world.spacing_m * rng.uniform(0.9, 1.1)
                report(driver, "position", when, distance_m=round(metres, -1 if rounds else 0))
            else:
                report(driver, "position", when, position=value)
        if crosses:
            waited = (truck.exit - truck.joined) * 60
            if rng.random() < world.crossed_waited_share:
                report(driver, "crossed", truck.exit, waited_minutes=int(round(waited, -1 if rounds else 0)))
            else:
                report(driver, "crossed", truck.exit)
        elif truck.exit != math.inf and not stops and not truck.crossed:
            report(driver, "left", truck.exit)

    for number in range(world.flooders):
        driver = f"flood-{world.seed}-{number}"
        mode = rng.choice(("none", "huge", "random"))
        when = rng.uniform(2, 12)
        while when < horizon:
            roll = rng.random()
            if mode == "none":
                value = 0
            elif mode == "huge":
                value = rng.randint(2000, 5000)
            else:
                value = rng.randint(0, 3000)
            if roll < 0.6:
                report(driver, "position", when, position=value)
            elif roll < 0.75:
                report(driver, "joined", when, position=value)
            else:
                report(driver, "crossed", when, waited_minutes=rng.randint(0, 30) if mode == "none" else value)
            when += rng.expovariate(60 / world.flood_every_minutes)

    reports.sort(key=lambda line: (line["received_at"], line["observed_at"], line["id"]))
    return WorldRun(world=world, reports=reports, truth=_true_waits(world, trucks, served))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def _true_waits(world: World, trucks: list[_Truck], served: list[float]) -> list[dict[str, Any]]:
    """One truth line per 15-minute tick: the exact wait of a truck joining then (served at the first clearing
    after every truck present has gone)."""
    joins = [truck.joined for truck in trucks]
    prefix_exit: list[float] = []
    latest = -math.inf
    for truck in trucks:
        latest = max(latest, truck.exit if truck.exit != math.inf else latest)
        prefix_exit.append(latest)
    lines = []
    for tick in range(int(world.hours * 4) + 1):
        hours = tick / 4
        before = bisect.bisect_left(joins, hours)
        free_from = max(hours, prefix_exit[before - 1]) if before else hours
        index = bisect.bisect_right(served, free_from)
        if index >= len(served):
            break
        lines.append(
            {
                "at": _iso(world.start_at + timedelta(hours=hours)),
                "crossing": world.crossing,
                "direction": world.direction,
                "true_wait_minutes": round((served[index] - hours) * 60),
            }
        )
    return lines


# --- Scoring ---------------------------------------------------------------------------------------------------------


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def chat_baselines(reports: Sequence[Mapping[str, Any]], ticks: Sequence[datetime]) -> tuple[list, list]:
    """The two rules of thumb of a drivers' chat at each tick, from the crossings received by then: the last
    reported wait, and the median wait of the crossings of the last 3 hours (else the last one)."""
    crossed = sorted(
        (_parse(line["received_at"]), _parse(line["observed_at"]), float(line["waited_minutes"]))
        for line in reports
        if line["kind"] == "crossed" and line.get("waited_minutes") is not None
    )
    received = [item[0] for item in crossed]
    last_values: list[float | None] = []
    median_values: list[float | None] = []
    for tick in ticks:
        known = crossed[: bisect.bisect_right(received, tick)]
        if not known:
            last_values.append(None)
            median_values.append(None)
            continue
        latest = max(known, key=lambda item: item[1])
        recent = [item[2] for item in known if item[1] >= tick - timedelta(hours=3)]
        last_values.append(latest[2])
        median_values.append(statistics.median(recent) if recent else latest[2])
    return last_values, median_values


@dataclass(frozen=True)
class WorldScore:
    """How one estimate stream did against one world's truth (after the warm-up)."""

    ticks: int
    published: int
    mae: float  # minutes, over published ticks
    chat_mae: float  # the better of the two chat rules, over the ticks where it had a figure
    hits: int
    move: float  # median |change| of the published wait between consecutive ticks
    truth_move: float  # the same for the truth
    widths: list[float]  # high / low of every published estimate

    @property
    def ratio(self) -> float:
        return self.mae / self.chat_mae if self.chat_mae > 0 else math.inf


def world_score(
    run: WorldRun, lines: Iterable[Mapping[str, Any]], *, warm_up: timedelta = timedelta(hours=12)
) -> WorldScore:
    """Scores ``replay`` output lines of ``run``'s queue against its truth, beside the chat rules."""
    truth = {line["at"]: line["true_wait_minutes"] for line in run.truth}
    begin = run.world.start_at + warm_up
    kept = [line for line in lines if line["at"] in truth and _parse(line["at"]) >= begin]
    ticks = [_parse(line["at"]) for line in kept]
    last, median = chat_baselines(run.reports, ticks)
    errors, hits, published, widths = [], 0, 0, []
    chat_last, chat_median = [], []
    moves, truth_moves = [], []
    previous: tuple[float, float] | None = None
    for index, line in enumerate(kept):
        true_wait = truth[line["at"]]
        estimate = line["estimate"]
        if last[index] is not None:
            chat_last.append(abs(last[index] - true_wait))
            chat_median.append(abs(median[index] - true_wait))
        if estimate is None:
            previous = None
            continue
        published += 1
        errors.append(abs(estimate["wait_minutes"] - true_wait))
        hits += estimate["low_minutes"] <= true_wait <= estimate["high_minutes"]
        widths.append(estimate["high_minutes"] / max(estimate["low_minutes"], 1))
        if previous is not None:
            moves.append(abs(estimate["wait_minutes"] - previous[0]))
            truth_moves.append(abs(true_wait - previous[1]))
        previous = (estimate["wait_minutes"], true_wait)
    chat = min(statistics.mean(chat_last), statistics.mean(chat_median)) if chat_last else math.nan
    return WorldScore(
        ticks=len(kept),
        published=published,
        mae=statistics.mean(errors) if errors else math.nan,
        chat_mae=chat,
        hits=hits,
        move=statistics.median(moves) if moves else math.nan,
        truth_move=statistics.median(truth_moves) if truth_moves else math.nan,
        widths=widths,
    )


@dataclass(frozen=True)
class ClassSummary:
    """A world class over several seeds: the figures of the benchmark's table."""

    world_class: str
    seeds: tuple[int, ...]
    median_ratio: float
    worst_ratio: float
    hit: float
    published: float
    move: float  # median over worlds of the estimator's median tick-to-tick move (minutes)
    truth_move: float
    width_p90: float

    def misses(self) -> list[str]:
        """The targets this class does not meet."""
        missed = []
        if not self.worst_ratio <= TARGET_RATIO:
            missed.append(f"ratio ≤ {TARGET_RATIO}")
        if not TARGET_HIT[0] <= self.hit <= TARGET_HIT[1]:
            missed.append("hit 70–90%")
        if not self.published >= TARGET_PUBLISHED:
            missed.append("published ≥ 95%")
        if not (self.move <= TARGET_MOVE_RATIO * self.truth_move or self.move <= TARGET_MOVE_MINUTES):
            missed.append("move ≤ 3× truth's")
        if not self.width_p90 <= TARGET_WIDTH:
            missed.append("p90 width ≤ 4×")
        return missed


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def class_summary(world_class: str, scores: Mapping[int, WorldScore]) -> ClassSummary:
    """Pools one class's world scores (by seed)."""
    ratios = [score.ratio for score in scores.values()]
    published = sum(score.published for score in scores.values())
    ticks = sum(score.ticks for score in scores.values())
    return ClassSummary(
        world_class=world_class,
        seeds=tuple(sorted(scores)),
        median_ratio=statistics.median(ratios),
        worst_ratio=max(ratios),
        hit=sum(score.hits for score in scores.values()) / published if published else 0.0,
        published=published / ticks if ticks else 0.0,
        move=statistics.median(score.move for score in scores.values()),
        truth_move=statistics.median(score.truth_move for score in scores.values()),
        width_p90=_percentile([width for score in scores.values() for width in score.widths], 0.9),
    )
