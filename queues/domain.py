"""Pure wait estimation: plain samples in, an estimate out. No ORM, no clock (``as_of`` is passed in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class QueueParams:
    """What the estimator knows about the queue itself."""

    vehicle_spacing_m: float = 20.0


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

    @property
    def publishable(self) -> bool:
        return self.drivers >= 3


def estimate_wait(
    *, samples: Sequence[Sample], as_of: datetime, queue: QueueParams | None = None
) -> EstimateResult | None:
    """The expected wait of a truck joining the queue at ``as_of``; ``None`` when there is nothing to go on."""
    raise NotImplementedError
