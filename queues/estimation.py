"""Estimate services: refresh a queue's estimate from its reports, the sweep, and the shared payload."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from queues.models import Estimate


def estimate_as_dict(estimate: Estimate | None) -> dict[str, Any] | None:
    """The contract's ``<estimate>`` object, or ``None`` when there is none or it is not publishable."""
    if estimate is None or not estimate.published:
        return None
    return {
        "wait_minutes": estimate.wait_minutes,
        "low_minutes": estimate.low_minutes,
        "high_minutes": estimate.high_minutes,
        "queue_length": estimate.queue_length,
        "throughput_per_hour": estimate.throughput_per_hour,
        "reports": estimate.reports,
        "drivers": estimate.drivers,
        "computed_at": estimate.computed_at.isoformat().replace("+00:00", "Z"),
        "data_until": estimate.data_until.isoformat().replace("+00:00", "Z") if estimate.data_until else None,
        "stale": estimate.stale,
        "confidence": estimate.confidence,
    }


def estimate_refresh_request(*, queue_ids: Iterable[int]) -> None:
    """Asks for the estimates of these queues to be refreshed after the current transaction commits.

    Called by report ingest inside its transaction. Coalesced: a burst of reports on one queue becomes
    one refresh task, not one per report.
    """
    # Filled in by the estimation work; until then refreshes come from the periodic sweep only.
    return None
