"""HTTP helpers both APIs share: timestamps as the contract writes them, and ETag / 304."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def utc_iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` offset, as the contract writes timestamps (``None`` stays ``None``)."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_etag(data: Any) -> str:
    """A strong ETag of a JSON-able answer: the SHA-256 of its canonical JSON."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return '"' + hashlib.sha256(encoded).hexdigest()[:40] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks for it; ``*``
    matches any)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in candidates
