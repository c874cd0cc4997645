"""Helpers for the estimate tests: stored reports and a stand-in estimator with a transparent rule.

The stand-in lets the services and tasks be tested on their own terms (what is read, what is stored, when),
independently of the estimator's method, which has its own tests.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from queues.domain.estimator import MIN_DRIVERS, EstimateResult, Sample
from queues.models import Queue, Report


def report_store(
    *,
    driver,
    queue: Queue,
    observed_at: datetime,
    received_at: datetime | None = None,
    kind: str = "position",
    position: int | None = 40,
    trusted: bool = True,
    flags: list[str] | None = None,
) -> Report:
    report_id = uuid.uuid4()
    return Report.objects.create(
        id=report_id,
        driver=driver,
        queue=queue,
        kind=kind,
        observed_at=observed_at,
        received_at=received_at or observed_at,
        position=position,
        content_hash=hashlib.sha256(report_id.bytes).hexdigest(),
        flags=flags or [],
        trusted=trusted,
    )


def transparent_estimate(*, samples, as_of, queue=None) -> EstimateResult | None:
    """Ten minutes per sample, an interval of ±5, ``None`` without samples: easy to predict in a test."""
    if not samples:
        return None
    drivers = {sample.driver_id for sample in samples}
    wait = 10 * len(samples)
    return EstimateResult(
        wait_minutes=wait,
        low_minutes=wait - 5,
        high_minutes=wait + 5,
        queue_length=max((sample.position or 0) for sample in samples),
        throughput_per_hour=12.5,
        reports=len(samples),
        drivers=len(drivers),
        computed_at=as_of,
        data_until=max(sample.received_at for sample in samples),
        stale=False,
        confidence="high" if len(drivers) >= MIN_DRIVERS else "low",
    )


class RecordingEstimator:
    """The transparent estimator that also remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Sample], datetime]] = []

    def __call__(self, *, samples, as_of, queue=None) -> EstimateResult | None:
        self.calls.append((list(samples), as_of))
        return transparent_estimate(samples=samples, as_of=as_of, queue=queue)
