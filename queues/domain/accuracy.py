"""Live accuracy: the published estimates scored against the waits trucks really had. Pure (no ORM, no clock).

Every ``crossed`` report with ``waited_minutes`` is the realised wait of a truck that joined at
``observed_at - waited_minutes``. The estimate that was published when it joined (the queue's latest published
history point at most ``MATCH`` before that moment) said what that truck would wait: the pair scores it. Over the
last 7 and 30 days: how many pairs, the mean absolute error and the share of 80% intervals that held the realised
wait; figures are null below ``MIN_SAMPLES`` pairs (too few to mean anything).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WINDOWS_DAYS = (7, 30)
MIN_SAMPLES = 10
MATCH = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class PublishedPoint:
    """A published estimate of the queue (one history point)."""

    at: datetime
    wait_minutes: int
    low_minutes: int
    high_minutes: int


@dataclass(frozen=True, slots=True)
class RealisedWait:
    """A truck's realised wait: it crossed at ``crossed_at`` after ``waited_minutes`` in the queue."""

    crossed_at: datetime
    waited_minutes: int

    @property
    def joined_at(self) -> datetime:
        return self.crossed_at - timedelta(minutes=self.waited_minutes)


@dataclass(frozen=True, slots=True)
class ScoredWait:
    crossed_at: datetime
    error_minutes: int
    hit: bool


def accuracy_pairs(*, published: Sequence[PublishedPoint], realised: Iterable[RealisedWait]) -> list[ScoredWait]:
    """Each realised wait scored against the estimate published when its truck joined (``published`` oldest
    first); a wait with no published estimate within ``MATCH`` before its joining is left out."""
    times = [point.at for point in published]
    scored = []
    for wait in realised:
        joined_at = wait.joined_at
        index = bisect.bisect_right(times, joined_at) - 1
        if index < 0 or joined_at - times[index] > MATCH:
            continue
        point = published[index]
        scored.append(
            ScoredWait(
                crossed_at=wait.crossed_at,
                error_minutes=abs(point.wait_minutes - wait.waited_minutes),
                hit=point.low_minutes <= wait.waited_minutes <= point.high_minutes,
            )
        )
    return scored


def accuracy_windows(*, scored: Iterable[ScoredWait], as_of: datetime) -> list[dict[str, Any]]:
    """The contract's ``windows``: per window of ``WINDOWS_DAYS`` days before ``as_of`` (by crossing time),
    ``samples``, ``mae_minutes`` and ``interval_hit`` (a share, 0–1), the figures null below ``MIN_SAMPLES``."""
    scored = list(scored)
    windows = []
    for days in WINDOWS_DAYS:
        since = as_of - timedelta(days=days)
        inside = [item for item in scored if since < item.crossed_at <= as_of]
        enough = len(inside) >= MIN_SAMPLES
        windows.append(
            {
                "days": days,
                "samples": len(inside),
                "mae_minutes": round(sum(item.error_minutes for item in inside) / len(inside)) if enough else None,
                "interval_hit": round(sum(item.hit for item in inside) / len(inside), 3) if enough else None,
            }
        )
    return windows
