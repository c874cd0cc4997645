"""Writes for carriers, drivers, dispatchers and sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from carriers.models import OneTimeCode


def one_time_codes_purge(*, as_of: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Deletes sign-in codes that expired more than ``keep`` ago; returns how many."""
    deleted, _ = OneTimeCode.objects.filter(expires_at__lt=as_of - keep).delete()
    return deleted
