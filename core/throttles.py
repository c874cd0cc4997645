"""Fixed-window rate counting shared by both APIs: one atomic counter per client and window.

DRF's ``SimpleRateThrottle`` keeps the timestamps of every request in the window in one cache value, read and
written back on each request (two round trips, and a value that grows with the rate: at a lifted rate, thousands
of timestamps pickled per request). A counter per fixed window costs one INCR, which a hot read sends in the same
round trip as its other cache reads. A client may send up to twice the rate across a window boundary, which the
rates here allow for. With the cache down the callers let requests through (fail open), as the rest of the cache
does.
"""

from __future__ import annotations

_PERIODS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/minute"`` → ``(600, 60)``; ``"10/5m"`` → ``(10, 300)``. Raises ``KeyError`` or ``ValueError``."""
    count, _sep, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :]
    return int(count), int(digits or 1) * _PERIODS[unit]


def fixed_window(period: int, now: float) -> int:
    """The number of the window of ``period`` seconds that ``now`` (a UNIX time) falls in."""
    return int(now // period)


def fixed_window_wait(period: int, now: float) -> float:
    """Seconds from ``now`` to the start of the next window (at least one)."""
    return max(1.0, (fixed_window(period, now) + 1) * period - now)
