"""Pure wait estimation: plain samples in, an estimate out. No ORM, no clock (``as_of`` is passed in).

The method is described in docs/estimator.md. The service (``queues.estimation``) and ``replay_reports`` both read
the reports received in ``[as_of - SAMPLE_WINDOW, as_of]``, turn them into :class:`Sample` with
:func:`sample_from_report` and call :func:`estimate_wait`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# How far back (by observed_at) the callers read reports for one estimate. Long enough to compare the current pace
# with the pace at the same hour a day earlier (day/night rhythm) and to pair joined/crossed reports.
SAMPLE_WINDOW = timedelta(hours=30)
# Below this many distinct drivers an estimate is not published.
MIN_DRIVERS = 3
# No report observed within this long before as_of: the estimate is marked stale.
STALE_AFTER = timedelta(hours=2)
# Flags set at ingest that make a report suspect (kept, but down-weighted).
SUSPECT_FLAGS = frozenset({"suspect", "implausible", "burst", "far", "late"})

KINDS = ("joined", "position", "crossed", "left")


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
        return self.drivers >= MIN_DRIVERS


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


def estimate_wait(
    *, samples: Sequence[Sample], as_of: datetime, queue: QueueParams | None = None
) -> EstimateResult | None:
    """The expected wait of a truck joining the queue at ``as_of``; ``None`` when there is nothing to go on.

    ``samples`` are the reports received by ``as_of`` and observed within ``SAMPLE_WINDOW`` of it (older or
    later ones are ignored). The result may be unpublishable (fewer than ``MIN_DRIVERS`` drivers).
    """
    raise NotImplementedError
