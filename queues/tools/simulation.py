"""A discrete-event border queue that writes the crowd reports its drivers would send and the true waits.

Pure and deterministic per seed (no clock, no ORM): ``simulate(...)`` returns the report dicts (``reports.jsonl``
lines, in the order the server received them) and the truth dicts (``truth.jsonl`` lines, one per 15-minute tick).

The model: trucks arrive as a Poisson process whose rate follows the day and falls as the queue grows (drivers
reroute or wait at home), and are served FIFO by a Poisson server whose rate follows the day too (more lanes and
staff by day). Scenarios change the server (``slowdown``: ÷4 for 36 h; ``closure``: 0 for 8 h) or the reporters
(``spam``: 3 accounts flood "no queue"; ``sparse``: 4% of trucks use the app). A share of trucks use the app: they
report ``joined`` with their position, ``position`` updates every few hours (some as a distance in metres), and
``crossed`` with the minutes waited; some give up and report ``left``. Positions are what drivers count: each
driver has their own bias, plus noise. Some reports are sent hours late (no signal).

The true wait of a truck joining at ``t`` is exact: it is served at the first service event after every truck
present at ``t`` has gone (served or given up).
"""

from __future__ import annotations

import bisect
import math
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.http import utc_iso

SCENARIOS = ("steady", "slowdown", "closure", "spam", "sparse")
DEFAULT_CROSSING = "syrym-mashtakovo"
DEFAULT_DIRECTION = "KZ-RU"
DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)
TICK = timedelta(minutes=15)


@dataclass(frozen=True)
class ScenarioConfig:
    """Every knob of one simulated queue; times are hours from the start."""

    hours: float
    seed: int
    scenario: str = "steady"
    crossing: str = DEFAULT_CROSSING
    direction: str = DEFAULT_DIRECTION
    start_at: datetime = DEFAULT_START
    service_per_hour: float = 20.0  # mean over the day
    service_cv: float = 0.3  # variability of the time one truck takes (1 would be a Poisson server)
    day_amplitude: float = 0.35  # the rate swings ± this share over the day (peak at 13:00 local)
    utc_offset_hours: float = 5.0
    arrival_amplitude: float = 0.6  # trucks drive by day: arrivals swing more than service (peak at 15:00)
    target_queue: int = 300  # arrivals balance service around this length
    initial_queue: int = 300
    app_share: float = 0.25
    position_every_hours: float = 2.5  # mean gap between a reporter's position updates
    distance_share: float = 0.3  # share of position updates given as metres instead of a count
    spacing_m: float = 20.0
    late_share: float = 0.15  # reports sent after a signal gap
    late_mean_hours: float = 3.0
    abandon_share: float = 0.02
    crossed_waited_share: float = 0.9  # crossed reports that carry waited_minutes
    slowdown_at_hours: float = 48.0
    slowdown_hours: float = 36.0
    slowdown_factor: float = 0.25
    closure_at_hours: float = 48.0
    closure_hours: float = 8.0
    spammers: int = 3
    spam_every_minutes: float = 12.0
    spam_from_hours: float = 6.0
    extra: dict[str, Any] = field(default_factory=dict)


def scenario_config(*, scenario: str, hours: float, seed: int, **overrides: Any) -> ScenarioConfig:
    """The configuration of a named scenario (``SCENARIOS``); ``overrides`` change any knob."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    config = ScenarioConfig(hours=hours, seed=seed, scenario=scenario)
    if scenario == "sparse":
        config = replace(config, app_share=0.04)
    return replace(config, **overrides)


def service_rate(config: ScenarioConfig, hours: float) -> float:
    """Trucks per hour the border can clear at ``hours`` from the start."""
    local_hour = (config.start_at.hour + config.utc_offset_hours + hours) % 24
    rate = config.service_per_hour * (1 + config.day_amplitude * math.cos(2 * math.pi * (local_hour - 13) / 24))
    if config.scenario == "slowdown" and 0 <= hours - config.slowdown_at_hours < config.slowdown_hours:
        rate *= config.slowdown_factor
    if config.scenario == "closure" and 0 <= hours - config.closure_at_hours < config.closure_hours:
        rate = 0.0
    return rate


def arrival_rate(config: ScenarioConfig, hours: float, queue_length: int) -> float:
    """Trucks per hour joining at ``hours`` with ``queue_length`` trucks already waiting."""
    local_hour = (config.start_at.hour + config.utc_offset_hours + hours) % 24
    base = config.service_per_hour * (1 + config.arrival_amplitude * math.cos(2 * math.pi * (local_hour - 15) / 24))
    pressure = 1 + 0.8 * (config.target_queue - queue_length) / config.target_queue
    return base * min(1.8, max(0.25, pressure))


@dataclass
class _Truck:
    joined: float  # hours
    exit: float = math.inf
    crossed: bool = False
    ahead_at_join: int = 0


def _poisson_events(rng: random.Random, rate_max: float, until: float) -> list[float]:
    times, now = [], 0.0
    while True:
        now += rng.expovariate(rate_max)
        if now >= until:
            return times
        times.append(now)


def _service_events(config: ScenarioConfig, rng: random.Random, until: float) -> list[float]:
    """Moments the border clears a truck: the capacity accrues at ``service_rate`` and each truck takes a
    Gamma-distributed share of it (coefficient of variation ``service_cv``): lanes work at a steady pace."""
    shape = 1 / config.service_cv**2
    events: list[float] = []
    step = 1 / 60
    accrued, needed = 0.0, rng.gammavariate(shape, 1 / shape)
    for minute in range(math.ceil(until / step)):
        now = minute * step
        rate = service_rate(config, now + step / 2)
        if rate <= 0:
            continue
        offset = 0.0
        while accrued + rate * (step - offset) >= needed:
            offset += (needed - accrued) / rate
            events.append(now + offset)
            accrued, needed = 0.0, rng.gammavariate(shape, 1 / shape)
        accrued += rate * (step - offset)
    return [event for event in events if event < until]


def _run_queue(config: ScenarioConfig, rng: random.Random, until: float) -> tuple[list[_Truck], list[float]]:
    """Simulates the queue up to ``until`` hours; returns every truck and every service event time."""
    peak = config.service_per_hour * (1 + config.day_amplitude)
    service_candidates = _service_events(config, rng, until)
    arrival_candidates = _poisson_events(rng, peak * 1.8, until)
    trucks = [_Truck(joined=-(config.initial_queue - i) / config.service_per_hour) for i in range(config.initial_queue)]
    for position, truck in enumerate(trucks):
        truck.ahead_at_join = position
    waiting = list(range(len(trucks)))  # FIFO of truck indices
    head = 0
    present = len(trucks)
    abandon_at: list[tuple[float, int]] = []
    service_events: list[float] = []
    i = j = 0
    while i < len(service_candidates) or j < len(arrival_candidates):
        take_service = j >= len(arrival_candidates) or (
            i < len(service_candidates) and service_candidates[i] <= arrival_candidates[j]
        )
        now = service_candidates[i] if take_service else arrival_candidates[j]
        while abandon_at and abandon_at[0][0] <= now:
            at, index = abandon_at.pop(0)
            if trucks[index].exit == math.inf:
                trucks[index].exit = at
                present -= 1
        if take_service:
            i += 1
            service_events.append(now)
            while head < len(waiting) and trucks[waiting[head]].exit != math.inf:
                head += 1
            if head < len(waiting):
                truck = trucks[waiting[head]]
                truck.exit, truck.crossed = now, True
                head += 1
                present -= 1
        else:
            j += 1
            if rng.random() * peak * 1.8 < arrival_rate(config, now, present):
                trucks.append(_Truck(joined=now, ahead_at_join=present))
                waiting.append(len(trucks) - 1)
                present += 1
                if rng.random() < config.abandon_share:
                    bisect.insort(abandon_at, (now + rng.uniform(1, 12), len(trucks) - 1))
        if head > 4096:  # keep the FIFO short
            waiting, head = waiting[head:], 0
    return trucks, service_events


def _iso(at: datetime) -> str:
    return utc_iso(at)


@dataclass(frozen=True)
class SimulationRun:
    """What one run produced: the contract's JSONL lines, and the queue itself (for oracles and checks)."""

    config: ScenarioConfig
    reports: list[dict[str, Any]]
    truth: list[dict[str, Any]]
    joined_hours: list[float]  # per truck, sorted
    exit_hours: list[float]  # per truck (inf: still waiting at the end of the run)
    crossed: list[bool]
    service_hours: list[float]  # every moment the border could clear a truck

    def queue_length(self, hours: float) -> int:
        """Trucks waiting at ``hours`` from the start."""
        return sum(1 for joined, exit in zip(self.joined_hours, self.exit_hours, strict=True) if joined <= hours < exit)

    def departures(self, since_hours: float, until_hours: float) -> int:
        """Trucks that crossed in ``(since, until]``."""
        return sum(
            1
            for exit, crossed in zip(self.exit_hours, self.crossed, strict=True)
            if crossed and since_hours < exit <= until_hours
        )


def simulate(config: ScenarioConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs the scenario; returns ``(reports, truth)`` as the JSONL lines of the contract (dicts)."""
    run = simulate_run(config)
    return run.reports, run.truth


def simulate_run(config: ScenarioConfig) -> SimulationRun:
    """Runs the scenario and keeps the queue's history beside the JSONL lines."""
    rng = random.Random(f"kezek-sim-{config.seed}-{config.scenario}")  # noqa: S311 - a reproducible simulation, not secrets
    horizon = config.hours
    # Run long enough that every truck joining before the horizon has crossed.
    trucks, service_events = _run_queue(config, rng, horizon + 24 * 6)
    start = config.start_at

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    reports: list[dict[str, Any]] = []

    def report(driver: str, kind: str, observed: float, **values: Any) -> None:
        if observed < 0 or observed >= horizon:
            return
        delay = (
            rng.expovariate(1 / config.late_mean_hours) if rng.random() < config.late_share else rng.uniform(0, 0.03)
        )
        line = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "crossing": config.crossing,
            "direction": config.direction,
            "kind": kind,
            "observed_at": _iso(at(observed).replace(microsecond=0)),
            **values,
            "driver": driver,
            "received_at": _iso(at(observed + delay).replace(microsecond=0)),
        }
        reports.append(line)

    exits_sorted = sorted(truck.exit for truck in trucks)
    for number, truck in enumerate(trucks):
        if truck.joined >= horizon or truck.exit < 0 or rng.random() >= config.app_share:
            continue
        driver = f"truck-{config.seed}-{number}"
        bias = math.exp(rng.gauss(0, 0.08))

        def seen_position(when: float, truck: _Truck = truck, bias: float = bias) -> int:
            # Trucks ahead at `when`: those still present that joined before this one.
            gone = bisect.bisect_right(exits_sorted, when)
            ahead = max(0, truck.ahead_at_join - max(0, gone - _gone_before(exits_sorted, truck.joined)))
            return max(0, round(ahead * bias * (1 + rng.gauss(0, 0.03))))

        if truck.joined >= 0:
            report(driver, "joined", truck.joined, position=seen_position(truck.joined))
        when = max(truck.joined, 0.0) + rng.expovariate(1 / config.position_every_hours)
        while when < truck.exit and when < horizon:
            position = seen_position(when)
            if rng.random() < config.distance_share:
                spacing = config.spacing_m * rng.uniform(0.9, 1.1)
                report(driver, "position", when, distance_m=round(position * spacing))
            else:
                report(driver, "position", when, position=position)
            when += rng.expovariate(1 / config.position_every_hours)
        if truck.crossed:
            waited = round((truck.exit - truck.joined) * 60)
            if rng.random() < config.crossed_waited_share:
                report(driver, "crossed", truck.exit, waited_minutes=waited)
            else:
                report(driver, "crossed", truck.exit)
        elif truck.exit != math.inf:
            report(driver, "left", truck.exit)

    if config.scenario == "spam":
        for number in range(config.spammers):
            driver = f"spam-{config.seed}-{number}"
            when = config.spam_from_hours
            while when < horizon:
                roll = rng.random()
                if roll < 0.6:
                    report(driver, "position", when, position=0)
                elif roll < 0.7:
                    report(driver, "joined", when, position=0)
                else:
                    report(driver, "crossed", when, waited_minutes=rng.randint(0, 15))
                when += rng.expovariate(60 / config.spam_every_minutes)

    reports.sort(key=lambda line: (line["received_at"], line["observed_at"], line["id"]))
    truth = true_waits(config, trucks, service_events)
    return SimulationRun(
        config=config,
        reports=reports,
        truth=truth,
        joined_hours=[truck.joined for truck in trucks],
        exit_hours=[truck.exit for truck in trucks],
        crossed=[truck.crossed for truck in trucks],
        service_hours=service_events,
    )


def _gone_before(exits_sorted: list[float], when: float) -> int:
    return bisect.bisect_right(exits_sorted, when)


def true_waits(config: ScenarioConfig, trucks: list[_Truck], service_events: list[float]) -> list[dict[str, Any]]:
    """One truth line per tick: the exact wait of a truck joining at the tick."""
    joins = [truck.joined for truck in trucks]  # sorted: trucks are appended in join order
    prefix_exit: list[float] = []
    latest = -math.inf
    for truck in trucks:
        latest = max(latest, truck.exit)
        prefix_exit.append(latest)
    lines = []
    ticks = int(config.hours * 60 // 15)
    for tick in range(ticks + 1):
        hours = tick * 0.25
        if hours > config.hours:
            break
        before = bisect.bisect_left(joins, hours)
        free_from = max(hours, prefix_exit[before - 1]) if before else hours
        served = bisect.bisect_right(service_events, free_from)
        if served >= len(service_events):
            break
        wait = service_events[served] - hours
        lines.append(
            {
                "at": _iso(config.start_at + timedelta(hours=hours)),
                "crossing": config.crossing,
                "direction": config.direction,
                "true_wait_minutes": round(wait * 60),
            }
        )
    return lines
