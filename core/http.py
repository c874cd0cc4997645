"""HTTP helpers both APIs share: timestamps as the contract writes them, ETag / 304, and answers ready to send."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified


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


@dataclass(frozen=True, slots=True)
class Answer:
    """A read's answer ready to send: the JSON body as bytes and its ETag (:func:`json_etag` of the data)."""

    body: bytes
    etag: str


def answer_from_data(data: Any) -> Answer:
    """Renders JSON-able ``data`` once: compact UTF-8 JSON, and its ETag."""
    return Answer(body=json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(), etag=json_etag(data))


def answer_response(
    request: HttpRequest,
    answer: Answer,
    *,
    headers: Mapping[str, str],
    content_type: str = "application/json",
) -> HttpResponse:
    """``answer`` as a 200 with its ETag and ``headers``, or a bodiless 304 when the client already has it."""
    all_headers = {"ETag": answer.etag, **headers}
    if etag_matches(request.headers.get("If-None-Match"), answer.etag):
        return HttpResponseNotModified(headers=all_headers)
    return HttpResponse(answer.body, content_type=content_type, headers=all_headers)
