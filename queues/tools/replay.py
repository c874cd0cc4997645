"""Replays a recorded report stream through the production estimator, tick by tick.

At tick ``t`` the estimator sees exactly what production would have had: the reports received by ``t`` and observed
within ``SAMPLE_WINDOW`` before it, turned into samples by the same ``sample_from_report`` the service uses, and
the queue's normal pace from its own earlier estimates (``normal_pace`` over ``pace_history_hourly``: the same
hourly memory the service reads from its stored history points).

Cost: reading is O(R log R) for R reports; each tick costs O(n log n) for the n reports inside the window of one
queue (the window slides: reports enter once, in received order, and leave once), so the whole replay is
O(R log R + T × Q × n log n) for T ticks and Q queues, independent of how long the history is.
"""

from __future__ import annotations

import bisect
import json
import operator
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.http import utc_iso
from queues.domain.estimator import (
    SAMPLE_WINDOW,
    EstimateResult,
    QueueParams,
    Sample,
    TrackPoint,
    estimate_wait,
    normal_pace,
    pace_history_hourly,
    pace_memory_start,
    sample_from_report,
    track_point,
    track_window,
)
from queues.domain.schedule import QueueSchedule

_EVERY = re.compile(r"^(\d+)\s*([smhd])$")
_OBSERVED_AT = operator.attrgetter("observed_at")
_DEFAULT_SPACING_M = QueueParams().vehicle_spacing_m
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ReplayInputError(ValueError):
    """A line of the report stream or an argument cannot be read."""


def _hour_of(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def parse_every(text: str) -> timedelta:
    """``15m``, ``1h``, ``30s``, ``1d`` as a positive timedelta."""
    match = _EVERY.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise ReplayInputError(f"--every must look like 15m, 1h or 1d, not {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (a naive one is taken as UTC)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError) as error:
        raise ReplayInputError(f"not an ISO 8601 timestamp: {text!r}") from error
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return utc_iso(value)


def result_as_dict(result: EstimateResult | None) -> dict[str, Any] | None:
    """The contract's ``<estimate>`` built from a result, as ``queues.services.estimates.estimate_as_dict`` builds
    it from the stored row; ``None`` when there is no result or it is not publishable."""
    if result is None or not result.publishable:
        return None
    return {
        "wait_minutes": result.wait_minutes,
        "low_minutes": result.low_minutes,
        "high_minutes": result.high_minutes,
        "queue_length": result.queue_length,
        "throughput_per_hour": result.throughput_per_hour,
        "reports": result.reports,
        "drivers": result.drivers,
        "computed_at": format_timestamp(result.computed_at),
        "data_until": format_timestamp(result.data_until) if result.data_until else None,
        "stale": result.stale,
        "confidence": result.confidence,
    }


def sample_from_line(line: Mapping[str, Any]) -> Sample:
    """One ``reports.jsonl`` line as a sample (``received_at`` defaults to ``observed_at``)."""
    try:
        observed_at = parse_timestamp(line["observed_at"])
        received_at = parse_timestamp(line["received_at"]) if line.get("received_at") else observed_at
        return sample_from_report(
            driver_id=line["driver"],
            kind=line["kind"],
            observed_at=observed_at,
            received_at=received_at,
            position=line.get("position"),
            distance_m=line.get("distance_m"),
            waited_minutes=line.get("waited_minutes"),
            weight=line.get("weight", 1.0),
            flags=line.get("flags") or (),
        )
    except (KeyError, TypeError) as error:
        raise ReplayInputError(f"report line lacks a field or has a wrong type: {error}") from error


@dataclass
class _QueueStream:
    samples: list[Sample] = field(default_factory=list)  # sorted by received_at
    cursor: int = 0
    starts_at: datetime | None = None  # its first report's received_at rounded down to a tick
    window: list[Sample] = field(default_factory=list)
    # The first pace of each UTC hour within the normal-pace memory (what pace_history_hourly keeps of all ticks).
    paces: deque[tuple[datetime, float]] = field(default_factory=deque)
    # The queue's own estimates of the past TRACK_MEMORY (what the service reads from its history points).
    track: deque[TrackPoint] = field(default_factory=deque)


def read_report_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield json.loads(text)
        except json.JSONDecodeError as error:
            raise ReplayInputError(f"line {number}: not JSON ({error.msg})") from error


def replay(
    reports: Iterable[Mapping[str, Any]],
    *,
    every: timedelta,
    until: datetime | None = None,
    spacing_m: Mapping[str, float] | None = None,
    remember_normal: bool = True,
    schedules: Mapping[tuple[str, str], QueueSchedule] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yields one output line per tick per queue, in tick order then queue order.

    ``remember_normal``: give the estimator the queue's normal pace from its own earlier estimates (as a service
    keeping a week of estimate history does); False: the past day's pace stands in for it.

    A queue's lines start at its first report's ``received_at`` rounded down to ``every`` (that first tick may
    see nothing yet and then says null), and run to the last report received (or ``until``).
    """
    streams: dict[tuple[str, str], _QueueStream] = {}
    for line in reports:
        try:
            key = (str(line["crossing"]), str(line["direction"]))
        except KeyError as error:
            raise ReplayInputError(f"report line lacks {error}") from error
        streams.setdefault(key, _QueueStream()).samples.append(sample_from_line(line))
    if not streams:
        return
    for stream in streams.values():
        stream.samples.sort(key=lambda sample: sample.received_at)
    first = min(stream.samples[0].received_at for stream in streams.values())
    last = until or max(stream.samples[-1].received_at for stream in streams.values())
    step = every.total_seconds()

    def floor(value: datetime) -> datetime:
        return datetime.fromtimestamp(value.timestamp() // step * step, tz=UTC)

    for stream in streams.values():
        stream.starts_at = floor(stream.samples[0].received_at)
    tick = floor(first)
    spacing = spacing_m or {}
    known_schedules = schedules or {}
    keys = sorted(streams)
    while tick <= last:
        earliest = tick - SAMPLE_WINDOW
        for key in keys:
            stream = streams[key]
            if stream.starts_at > tick:
                continue
            arrived = stream.cursor
            while arrived < len(stream.samples) and stream.samples[arrived].received_at <= tick:
                arrived += 1
            fresh = stream.samples[stream.cursor : arrived]
            stream.cursor = arrived
            # The window stays in observed_at order: late reports are slotted in, the oldest drop off the front.
            for sample in fresh:
                if sample.observed_at >= earliest:
                    bisect.insort(stream.window, sample, key=_OBSERVED_AT)
            expired = bisect.bisect_left(stream.window, earliest, key=_OBSERVED_AT)
            if expired:
                del stream.window[:expired]
            remembered = pace_memory_start(tick)
            while stream.paces and stream.paces[0][0] < remembered:
                stream.paces.popleft()
            params = QueueParams(
                vehicle_spacing_m=spacing.get(key[0], _DEFAULT_SPACING_M),
                normal_per_hour=normal_pace(history=pace_history_hourly(stream.paces, as_of=tick))
                if remember_normal
                else None,
                track=track_window(stream.track, as_of=tick),
                schedule=known_schedules.get(key),
            )
            result = estimate_wait(samples=stream.window, as_of=tick, queue=params)
            if result is not None:
                stream.track.append(track_point(result))
            # Only the first pace of an hour is ever remembered: later ones of the same hour are not kept.
            if (
                result is not None
                and result.pace_level_per_hour is not None
                and (not stream.paces or _hour_of(stream.paces[-1][0]) != _hour_of(tick))
            ):
                stream.paces.append((tick, result.pace_level_per_hour))
            yield {
                "at": format_timestamp(tick),
                "crossing": key[0],
                "direction": key[1],
                "estimate": result_as_dict(result),
            }
        tick += every
