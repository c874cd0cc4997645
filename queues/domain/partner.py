"""Pure rules of the partner API: history buckets, threshold crossings, retry backoff, webhook signatures,
address screening and opaque cursors. No ORM, no clock: callers pass ``as_of`` and values in.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# --- History ----------------------------------------------------------------------------------------
INTERVALS: dict[str, timedelta] = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
HISTORY_MAX_POINTS = 2000
HISTORY_DEFAULT_SPAN = timedelta(hours=24)
# Timestamps outside these bounds are refused (nothing is stored there, and date arithmetic near year 1 or 9999
# overflows).
HISTORY_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
HISTORY_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_floor(at: datetime, step: timedelta) -> datetime:
    """The start of the UTC-aligned bucket of length ``step`` that holds ``at``."""
    seconds = int((at - _EPOCH).total_seconds())
    size = int(step.total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % size)


def bucket_ceil(at: datetime, step: timedelta) -> datetime:
    """The first bucket boundary at or after ``at``."""
    floor = bucket_floor(at, step)
    return floor if floor == at else floor + step


@dataclass(frozen=True, slots=True)
class HistoryWindow:
    since: datetime
    until: datetime
    step: timedelta

    @property
    def buckets(self) -> int:
        """How many buckets the window can hold at most (the answer's size bound)."""
        first = bucket_floor(self.since, self.step)
        return max(0, -(-(self.until - first) // self.step))


class HistoryWindowError(ValueError):
    """The requested window is invalid; ``field`` names the query parameter to blame."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def history_window(*, since: datetime | None, until: datetime | None, interval: str, as_of: datetime) -> HistoryWindow:
    """The half-open window ``[since, until)`` a history request covers, with its defaults filled in.

    ``until`` defaults to the end of the current bucket (so a default request stays the same, and cacheable,
    for a whole bucket); ``since`` defaults to ``until - 24 h``. Raises :class:`HistoryWindowError` when
    ``since >= until`` or the window holds more than :data:`HISTORY_MAX_POINTS` buckets.
    """
    step = INTERVALS[interval]
    for field, value in (("since", since), ("until", until)):
        if value is not None and not HISTORY_EARLIEST <= value <= HISTORY_LATEST:
            raise HistoryWindowError(field, "out of range")
    end = until if until is not None else bucket_ceil(as_of, step)
    start = since if since is not None else end - HISTORY_DEFAULT_SPAN
    if start >= end:
        raise HistoryWindowError("since", "since must be before until.")
    window = HistoryWindow(since=start, until=end, step=step)
    if window.buckets > HISTORY_MAX_POINTS:
        raise HistoryWindowError("interval", "too many points")
    return window


# --- Alerts -----------------------------------------------------------------------------------------
def threshold_transition(*, was_above: bool, wait_minutes: int | None, above_minutes: int) -> bool | None:
    """The new state when a published estimate crosses the threshold, else ``None`` (no crossing).

    "Above" means strictly more than ``above_minutes``. ``wait_minutes=None`` (nothing published) never
    changes the state.
    """
    if wait_minutes is None:
        return None
    now_above = wait_minutes > above_minutes
    return now_above if now_above != was_above else None


# Attempts of one delivery, and the wait before each retry: 30 s, 1 min, 2 min, 4 min, 8 min (≈ 15 min in all).
DELIVERY_MAX_ATTEMPTS = 6
DELIVERY_BACKOFF_BASE = timedelta(seconds=30)
DELIVERY_BACKOFF_CAP = timedelta(hours=1)
# Consecutive failed attempts (across deliveries) after which a subscription is paused.
SUBSCRIPTION_PAUSE_AFTER_FAILURES = 10


def retry_delay(*, attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (1, 2, ...): exponential, capped."""
    return min(DELIVERY_BACKOFF_BASE * (1 << max(0, attempts - 1)), DELIVERY_BACKOFF_CAP)


def is_success_status(status_code: int) -> bool:
    """Only a 2xx accepts a delivery; redirects are not followed and count as failures."""
    return 200 <= status_code < 300


# --- Signatures -------------------------------------------------------------------------------------
SIGNATURE_HEADER = "X-Kezek-Signature"
SIGNATURE_V2_HEADER = "X-Kezek-Signature-V2"
TIMESTAMP_HEADER = "X-Kezek-Timestamp"
SIGNATURE_TOLERANCE_SECONDS = 300


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_headers(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """``X-Kezek-Signature: sha256=<HMAC-SHA256(body)>`` (the contract) and the replay-resistant
    ``X-Kezek-Signature-V2: t=<ts>,sha256=<HMAC-SHA256("<ts>." + body)>``, plus ``X-Kezek-Timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return {
        SIGNATURE_HEADER: f"sha256={_hmac_hex(secret, body)}",
        SIGNATURE_V2_HEADER: f"t={timestamp},sha256={_hmac_hex(secret, signed)}",
        TIMESTAMP_HEADER: str(timestamp),
    }


def signature_verify(*, secret: str, body: bytes, header: str) -> bool:
    """Checks an ``X-Kezek-Signature`` header against the body (constant time)."""
    scheme, _, received = header.partition("=")
    return scheme == "sha256" and hmac.compare_digest(received, _hmac_hex(secret, body))


def signature_v2_verify(
    *, secret: str, body: bytes, header: str, now: int, tolerance: int = SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """Checks an ``X-Kezek-Signature-V2`` header: the signature over ``"<t>." + body`` and ``|now - t|``."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = _hmac_hex(secret, str(timestamp).encode() + b"." + body)
    return hmac.compare_digest(fields.get("sha256", ""), expected)


# --- Address screening ------------------------------------------------------------------------------
def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address; loopback, private, link-local, shared (CGNAT),
    reserved, multicast and unspecified addresses are refused, also when wrapped in IPv6 (mapped, 6to4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


def addresses_are_public(addresses: Iterable[str]) -> bool:
    """True when there is at least one address and every one is public (a single private one refuses all)."""
    listed = list(addresses)
    return bool(listed) and all(address_is_public(address) for address in listed)


# --- Cursors ----------------------------------------------------------------------------------------
