"""Judging join-by advice and route choice on simulated borders with several crossings.

A *corridor* is several randomised worlds (``queues.tools.worlds``) standing side by side as the crossings of one
border, each replayed through the production estimator (``replay``) and known by its truth (the wait a truck
joining at each 15-minute tick really had). Pure: replay lines and truth in, outcomes out.

- **Join-by**: a truck at a crossing must be through by a deadline (the end of a local day, one to three days
  ahead). From the moment it is told, it checks the app every hour; it joins at the advised join-by when that falls
  before its next check. It is out in time when its true time through (the join plus the true wait) is before the
  deadline; its slack is the time to spare.
- **Route choice**: a truck at a random distance from each crossing picks one and drives there. Kezek's choice (the
  best forecast time through), "the shortest current wait" (the published estimate now) and "the nearest
  crossing" are scored by the true time through at the chosen crossing.
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from queues.domain.forecast import Forecaster, ForecastInputs, day_end, latest_join
from queues.tools.forecast_eval import current_estimate, recent_intervals, world_schedule, world_time_zone
from queues.tools.worlds import WorldRun

TICK = timedelta(minutes=15)
CHECK_EVERY = timedelta(hours=1)
TRUCK_SPEED_KMH = 60.0


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class CrossingRun:
    """One crossing of a corridor: its world, published estimates by tick and true waits by tick."""

    run: WorldRun
    estimates: list[tuple[datetime, Mapping[str, Any]]]  # published only, in time order
    truth: dict[datetime, float]

    @classmethod
    def of(cls, run: WorldRun, lines: Sequence[Mapping[str, Any]]) -> CrossingRun:
        estimates = sorted(
            ((_parse(line["at"]), line["estimate"]) for line in lines if line["estimate"] is not None),
            key=lambda item: item[0],
        )
        truth = {_parse(line["at"]): line["true_wait_minutes"] for line in run.truth}
        return cls(run=run, estimates=estimates, truth=truth)

    def forecaster(self, at: datetime) -> Forecaster | None:
        """The forecast as the app would have made it at ``at``: from the newest published estimate then (at most
        an hour old) and the history before it."""
        index = bisect.bisect_right([item[0] for item in self.estimates], at)
        if index == 0 or at - self.estimates[index - 1][0] > timedelta(hours=1):
            return None
        moment, payload = self.estimates[index - 1]
        history = [(time, item["wait_minutes"]) for time, item in self.estimates[:index]]
        recent = recent_intervals(self.estimates[max(0, index - 12) : index - 1], moment)
        return Forecaster(
            ForecastInputs(
                estimate=current_estimate(payload, moment),
                history=history,
                schedule=world_schedule(self.run.world),
                recent=recent,
            )
        )

    def current_wait(self, at: datetime) -> float | None:
        index = bisect.bisect_right([item[0] for item in self.estimates], at)
        return self.estimates[index - 1][1]["wait_minutes"] if index else None

    def true_through(self, join: datetime) -> datetime | None:
        """When a truck joining at ``join`` (rounded up to the next tick) is really through."""
        tick = self.run.world.start_at + math.ceil((join - self.run.world.start_at) / TICK) * TICK
        wait = self.truth.get(tick)
        return None if wait is None else tick + timedelta(minutes=wait)


@dataclass(frozen=True)
class JoinByOutcome:
    in_time: bool
    slack_hours: float  # deadline − true time through (negative: late)
    queued_hours: float


def join_by_follow(crossing: CrossingRun, *, told_at: datetime, deadline: datetime) -> JoinByOutcome | None:
    """A truck told at ``told_at`` that it must be through by ``deadline`` follows the advice, checking every hour.
    None when the app had no estimate to advise from, or the world's truth ends first."""
    moment = told_at
    while moment < deadline:
        forecaster = crossing.forecaster(moment)
        if forecaster is not None:
            advice = latest_join(forecaster, deadline=deadline, not_before=moment)
            if advice.join_by < moment + CHECK_EVERY:
                join = max(moment, advice.join_by)
                through = crossing.true_through(join)
                if through is None:
                    return None
                return JoinByOutcome(
                    in_time=through <= deadline,
                    slack_hours=(deadline - through).total_seconds() / 3600,
                    queued_hours=(through - join).total_seconds() / 3600,
                )
        elif moment == told_at:
            return None
        moment += CHECK_EVERY
    return None


@dataclass(frozen=True)
class RouteOutcome:
    kezek: float  # hours from departure until through, by strategy
    shortest_wait: float
    nearest: float
    best: float  # the best any crossing would have given


def route_choose(
    crossings: Sequence[CrossingRun], *, distances_km: Sequence[float], depart_at: datetime
) -> RouteOutcome | None:
    """The three strategies' true hours until through, for a truck leaving at ``depart_at``."""
    truths: list[float] = []
    forecasts: list[float] = []
    currents: list[float] = []
    for crossing, distance in zip(crossings, distances_km, strict=True):
        arrive_at = depart_at + timedelta(hours=distance / TRUCK_SPEED_KMH)
        through = crossing.true_through(arrive_at)
        forecaster = crossing.forecaster(depart_at)
        current = crossing.current_wait(depart_at)
        if through is None or forecaster is None or current is None:
            return None
        truths.append((through - depart_at).total_seconds() / 3600)
        forecast = forecaster.at(arrive_at, horizon=timedelta(days=3))
        forecasts.append((forecast.through_at - depart_at).total_seconds() / 3600)
        currents.append(current)
    return RouteOutcome(
        kezek=truths[forecasts.index(min(forecasts))],
        shortest_wait=truths[currents.index(min(currents))],
        nearest=truths[list(distances_km).index(min(distances_km))],
        best=min(truths),
    )


@dataclass
class CorridorScore:
    join_by: list[JoinByOutcome]
    routes: list[RouteOutcome]


def corridor_score(crossings: Sequence[CrossingRun], *, seed: int, trucks: int = 40) -> CorridorScore:
    """``trucks`` join-by cases per crossing and ``trucks`` route choices, drawn reproducibly from ``seed``."""
    rng = random.Random(f"kezek-corridor-{seed}")  # noqa: S311 - a reproducible evaluation
    start = crossings[0].run.world.start_at
    hours = min(crossing.run.world.hours for crossing in crossings)
    join_by: list[JoinByOutcome] = []
    for crossing in crossings:
        zone = world_time_zone(crossing.run.world)
        for _ in range(trucks):
            told_at = start + timedelta(hours=round(rng.uniform(24, hours - 96)))
            local_day = (told_at + timedelta(hours=crossing.run.world.utc_offset_hours)).date()
            deadline = day_end(local_day + timedelta(days=rng.randint(1, 3)), zone)
            outcome = join_by_follow(crossing, told_at=told_at, deadline=deadline)
            if outcome is not None:
                join_by.append(outcome)
    routes: list[RouteOutcome] = []
    for _ in range(trucks * len(crossings)):
        depart_at = start + timedelta(hours=round(rng.uniform(24, hours - 72)))
        distances = [rng.uniform(20, 300) for _ in crossings]
        route = route_choose(crossings, distances_km=distances, depart_at=depart_at)
        if route is not None:
            routes.append(route)
    return CorridorScore(join_by=join_by, routes=routes)


def join_by_summary(outcomes: Sequence[JoinByOutcome]) -> dict[str, float]:
    return {
        "cases": len(outcomes),
        "in_time": sum(outcome.in_time for outcome in outcomes) / len(outcomes) if outcomes else math.nan,
        "median_slack": statistics.median(outcome.slack_hours for outcome in outcomes) if outcomes else math.nan,
        "p10_slack": sorted(outcome.slack_hours for outcome in outcomes)[len(outcomes) // 10] if outcomes else math.nan,
    }


def route_summary(outcomes: Sequence[RouteOutcome]) -> dict[str, dict[str, float]]:
    rows = {}
    for name in ("kezek", "shortest_wait", "nearest", "best"):
        values = [getattr(outcome, name) for outcome in outcomes]
        rows[name] = {
            "mean": statistics.mean(values) if values else math.nan,
            "median": statistics.median(values) if values else math.nan,
            "best_share": sum(abs(getattr(o, name) - o.best) < 1e-9 for o in outcomes) / len(outcomes)
            if outcomes
            else math.nan,
        }
    return rows
