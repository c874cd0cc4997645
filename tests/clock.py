"""The suite's moved clock: ``KEZEK_TEST_CLOCK_SHIFT_DAYS`` days ahead of the real one (unset: the real clock)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import time_machine

SHIFT_ENV = "KEZEK_TEST_CLOCK_SHIFT_DAYS"


def shift_days() -> int:
    """Days the suite's clock runs ahead of the real one; 0 when the variable is unset or empty."""
    return int(os.environ.get(SHIFT_ENV) or 0)


@contextlib.contextmanager
def clock_shift() -> Iterator[None]:
    """Moves this process's clock forward by ``shift_days()`` days while the block runs (a no-op for 0)."""
    days = shift_days()
    if not days:
        yield
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        # time-machine starts the tick at the first reading, not at travel: read now, so every process that
        # moves its clock stays exactly ``days`` ahead of the real one (and of each other).
        time.time()
        yield
