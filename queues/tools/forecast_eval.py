"""Scoring the wait forecast on the randomised worlds (``queues.tools.worlds``): at each hour of a replayed world,
forecast the wait of a truck joining 2, 6, 12, 24 and 48 hours later from what was known then (the replayed
estimates so far, and the world's schedule as an operator would have entered it), and compare with the truth.

Beside it, three forecasts a driver could make: the chat's two rules of thumb (the last reported crossing, the
3-hour median) and the current estimate, each taken as the wait at any later time.

Pure: replay output lines and a world in, figures out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from queues.domain.forecast import Closure, CurrentEstimate, ForecastInputs, QueueSchedule, forecast_wait
from queues.tools.worlds import World, WorldRun, chat_baselines

HORIZONS_HOURS = (2, 6, 12, 24, 48)
FORECAST_WARM_UP = timedelta(hours=24)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _clock(hours: float) -> time:
    hours %= 24
    whole = int(hours)
    return time(whole, round((hours - whole) * 60) % 60)


def world_time_zone(world: World) -> str:
    """The world's local offset as an IANA fixed-offset zone (``Etc/GMT-5`` is UTC+5)."""
    offset = round(world.utc_offset_hours)
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def world_schedule(world: World) -> QueueSchedule:
    """What an operator would have entered for this world's border: its hours, quota and planned closures (never
    its slowdowns, which nobody announces)."""
    return QueueSchedule(
        time_zone=world_time_zone(world),
        opening_hours=(_clock(world.open_hours[0]), _clock(world.open_hours[1])) if world.open_hours else None,
        daily_quota=world.daily_quota,
        closures=tuple(
            Closure(starts_at=world.start_at + timedelta(hours=start), ends_at=world.start_at + timedelta(hours=end))
            for start, end in ((start, start + length) for start, length in world.closures)
        ),
    )


def current_estimate(payload: Mapping[str, Any], at: datetime) -> CurrentEstimate:
    """The forecast's view of a contract ``<estimate>`` published at ``at``."""
    return CurrentEstimate(
        wait_minutes=payload["wait_minutes"],
        low_minutes=payload["low_minutes"],
        high_minutes=payload["high_minutes"],
        computed_at=at,
        confidence=payload["confidence"],
        throughput_per_hour=payload.get("throughput_per_hour"),
        stale=payload.get("stale", False),
    )


RECENT = timedelta(hours=2)


def recent_intervals(
    estimates: Sequence[tuple[datetime, Mapping[str, Any]]], at: datetime
) -> list[tuple[float, float, float]]:
    """``(wait, low, high)`` of the published estimates within ``RECENT`` before ``at`` (the forecast's ``recent``)."""
    return [
        (item["wait_minutes"], item["low_minutes"], item["high_minutes"])
        for moment, item in estimates
        if at - RECENT <= moment < at
    ]


@dataclass
class HorizonScore:
    """Errors per horizon (minutes) of the forecast and the three baselines, and the forecast's interval hits."""

    forecast: dict[int, list[float]]
    current: dict[int, list[float]]
    chat_last: dict[int, list[float]]
    chat_median: dict[int, list[float]]
    hits: dict[int, list[bool]]

    @classmethod
    def empty(cls) -> HorizonScore:
        def per_horizon() -> dict:
            return {hours: [] for hours in HORIZONS_HOURS}

        return cls(per_horizon(), per_horizon(), per_horizon(), per_horizon(), per_horizon())

    def add(self, other: HorizonScore) -> None:
        for name in ("forecast", "current", "chat_last", "chat_median", "hits"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for hours in HORIZONS_HOURS:
                mine[hours].extend(theirs[hours])


def forecast_score(
    run: WorldRun, lines: Iterable[Mapping[str, Any]], *, every: timedelta = timedelta(hours=1)
) -> HorizonScore:
    """Scores forecasts made every ``every`` of ``run`` (after ``FORECAST_WARM_UP``) at each horizon."""
    truth = {_parse(line["at"]): line["true_wait_minutes"] for line in run.truth}
    lines = sorted(lines, key=lambda line: line["at"])
    schedule = world_schedule(run.world)
    begin = run.world.start_at + FORECAST_WARM_UP
    history: list[tuple[datetime, float]] = []
    published: list[tuple[datetime, Mapping[str, Any]]] = []
    origins: list[tuple[datetime, Mapping[str, Any]]] = []
    for line in lines:
        at = _parse(line["at"])
        if line["estimate"] is not None:
            history.append((at, line["estimate"]["wait_minutes"]))
            published.append((at, line["estimate"]))
            if at >= begin and (at - run.world.start_at) % every == timedelta(0):
                origins.append((at, line["estimate"]))
    last, median = chat_baselines(run.reports, [at for at, _ in origins])
    score = HorizonScore.empty()
    index = 0
    for position, (at, payload) in enumerate(origins):
        while index < len(history) and history[index][0] <= at:
            index += 1
        inputs = ForecastInputs(
            estimate=current_estimate(payload, at),
            history=history[:index],
            schedule=schedule,
            recent=recent_intervals(published[max(0, index - 12) : index], at),
        )
        for hours in HORIZONS_HOURS:
            target = at + timedelta(hours=hours)
            true_wait = truth.get(target)
            if true_wait is None:
                continue
            result = forecast_wait(inputs, at=target)
            score.forecast[hours].append(abs(result.wait_minutes - true_wait))
            score.hits[hours].append(result.low_minutes <= true_wait <= result.high_minutes)
            score.current[hours].append(abs(payload["wait_minutes"] - true_wait))
            if last[position] is not None:
                score.chat_last[hours].append(abs(last[position] - true_wait))
                score.chat_median[hours].append(abs(median[position] - true_wait))
    return score


def _mean(values: Sequence[float]) -> float:
    return statistics.mean(values) if values else math.nan


def horizon_rows(score: HorizonScore) -> list[dict[str, float]]:
    """One row per horizon: samples, MAE of the forecast and of each baseline, the forecast's interval hit."""
    rows = []
    for hours in HORIZONS_HOURS:
        rows.append(
            {
                "hours": hours,
                "samples": len(score.forecast[hours]),
                "forecast": _mean(score.forecast[hours]),
                "current": _mean(score.current[hours]),
                "chat": min(_mean(score.chat_last[hours]), _mean(score.chat_median[hours])),
                "hit": _mean([float(hit) for hit in score.hits[hours]]),
            }
        )
    return rows
