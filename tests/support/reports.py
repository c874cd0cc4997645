"""Builders for crowd reports as the app sends them (shared by the report, visit and concurrency tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import TestCase

from core.http import utc_iso

# Zhaisan – Sagarchin: an "estimate" coordinate (60 km hard radius) with both queues KZ-RU and RU-KZ.
CROSSING = "zhaisan-sagarchin"
CROSSING_LAT, CROSSING_LON = 50.8, 56.05
# Bakhty – Baketu: a "checkpoint" coordinate (5 km hard radius).
CHECKPOINT_CROSSING = "bakhty-baketu"
CHECKPOINT_LAT, CHECKPOINT_LON = 46.683333, 82.8


def iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return utc_iso(moment)


def after_commit():
    """Runs what ingest leaves for after commit (processing into visits, estimate refreshes) when the block ends:
    a test's own transaction never commits. The same as pytest-django's ``django_capture_on_commit_callbacks``."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def report(
    *,
    kind: str = "position",
    observed_at: datetime | str | None = None,
    crossing: str = CROSSING,
    direction: str = "KZ-RU",
    report_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": report_id or str(uuid.uuid4()),
        "crossing": crossing,
        "direction": direction,
        "kind": kind,
        "observed_at": iso(observed_at or datetime.now(tz=UTC) - timedelta(minutes=1)),
    }
    body.update(fields)
    return body
