"""The partner API: its own NinjaAPI instance, auth, throttle, version, namespace and error envelope.

Every error leaves as the contract's application/problem+json (``config.errors.problem_response``):
ninja's request validation becomes 400 ``validation_error`` with field errors, a missing or bad key 401
``not_authenticated``, the per-key throttle 429 ``throttled`` with ``Retry-After``, domain errors their own
code, and anything unexpected a logged 500 ``server_error``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import APIKeyHeader
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

from config.errors import PROBLEM_CONTENT_TYPE, DomainError, problem_response
from queues import partner_keys, partner_reads

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"


class PartnerKeyAuth(APIKeyHeader):
    """``X-API-Key: <prefix>.<secret>``; revoked, expired or unknown keys are refused (401)."""

    param_name = API_KEY_HEADER

    def authenticate(self, request: HttpRequest, key: str | None):
        entry = partner_keys.UNREAD
        if key and "." in key and len(key) <= 200:
            entry = _read_key_and_count(request, key)
        return partner_keys.partner_key_authenticate(raw_key=key, as_of=timezone.now(), entry=entry)


_PERIODS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/minute"`` → ``(600, 60)``; ``"10/5m"`` → ``(10, 300)``."""
    count, _sep, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :]
    return int(count), int(digits or 1) * _PERIODS[unit]


def _redis() -> RedisCache | None:
    backend = caches[DEFAULT_CACHE_ALIAS] if isinstance(cache, ConnectionProxy) else cache
    return backend if isinstance(backend, RedisCache) else None


def _rate() -> tuple[int, int] | None:
    try:
        return parse_rate(settings.PARTNER_THROTTLE_RATE)
    except (KeyError, ValueError):
        logger.error("PARTNER_THROTTLE_RATE is not a valid rate; partner throttling is off")
        return None


def _throttle_key(raw_key: str, period: int, window: int) -> str:
    # Per key: a hash of the whole key, so a wrong key never spends a real key's requests.
    return f"partner:throttle:{partner_keys.partner_key_digest(raw_key)[:32]}:{period}:{window}"


@dataclass(frozen=True, slots=True)
class _Hits:
    """The requests counted in the key's current window (``None``: not counted, the cache is down)."""

    count: int | None
    period: int = 0
    window: int = 0
    now: float = 0.0


_CACHE_DOWN = "cache-down"


def _read_key_and_count(request: HttpRequest, raw_key: str) -> object:
    """On Redis, in one round trip: the cached entry of the key (for ``partner_key_authenticate``), the
    throttle's count of this request (kept on the request for :class:`PartnerKeyThrottle`) and, for an estimate
    read, the cached answer (``request.partner_estimate_stored``, for the operation). Elsewhere (tests, local
    memory) nothing is read here."""
    backend = _redis()
    if backend is None:
        return partner_keys.UNREAD
    rate = _rate()
    entry_key = backend.make_and_validate_key(partner_keys.partner_key_cache_key(raw_key))
    # Django's RedisCache keeps its client and serializer private; the pipeline needs both.
    client = backend._cache
    pipeline = client.get_client(entry_key, write=True).pipeline(transaction=False)
    pipeline.get(entry_key)
    now = time.time()
    if rate is not None:
        period = rate[1]
        window = int(now // period)
        counter = backend.make_and_validate_key(_throttle_key(raw_key, period, window))
        pipeline.incr(counter)
        pipeline.expire(counter, period + 1, nx=True)
    estimate_key = _estimate_key_of(request)
    if estimate_key is not None:
        pipeline.get(backend.make_and_validate_key(estimate_key))
    try:
        results = pipeline.execute()
    except RedisError:
        getattr(backend, "_degraded", lambda operation: None)("get")
        request._partner_hits = _Hits(count=None)
        # Neither a hit nor a miss: the key and the answer come from the database and are not written back
        # (each write would wait for the unreachable cache again).
        if estimate_key is not None:
            request.partner_estimate_stored = _CACHE_DOWN
        return _CACHE_DOWN
    if rate is not None:
        request._partner_hits = _Hits(count=int(results[1]), period=period, window=window, now=now)
    if estimate_key is not None:
        request.partner_estimate_stored = None if results[-1] is None else client._serializer.loads(results[-1])
    return None if results[0] is None else client._serializer.loads(results[0])


def _estimate_key_of(request: HttpRequest) -> str | None:
    """The cache key of the estimate a ``/crossings/{slug}/estimate`` request asks for, else None."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    direction = request.GET.get("direction")
    if not slug or not direction or not request.path.endswith("/estimate"):
        return None
    return partner_reads.partner_estimate_cache_key(slug, direction)


def _count_hit(cache_key: str, period: int) -> int:
    """Counts one request in the window ``cache_key`` with the cache's own operations (not Redis)."""
    return 1 if cache.add(cache_key, 1, timeout=period + 1) else cache.incr(cache_key)


class PartnerKeyThrottle(BaseThrottle):
    """A fixed window per key in the cache (one atomic increment per request, on Redis counted by
    :class:`PartnerKeyAuth` in the round trip that reads the key), at
    ``settings.PARTNER_THROTTLE_RATE`` read on each request. With the cache down it lets requests through
    (fails open): losing the throttle for a while is better than refusing every partner."""

    def __init__(self) -> None:
        self._local = threading.local()  # one instance serves every request thread

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        if getattr(request, "auth", None) is None:
            return True
        rate = _rate()
        if rate is None:
            return True
        limit, period = rate
        hits = getattr(request, "_partner_hits", None)
        if hits is not None and hits.count is None:
            return True  # Redis was down when authentication counted
        if hits is not None and hits.period == period:
            count, window, now = hits.count, hits.window, hits.now
        else:
            now = time.time()
            window = int(now // period)
            raw_key = request.headers.get(API_KEY_HEADER, "")
            try:
                count = _count_hit(_throttle_key(raw_key, period, window), period)
            except ValueError:
                return True  # the key expired between add and incr, or the cache is unavailable
            except Exception:
                logger.warning("partner throttle: cache error, letting the request through", exc_info=True)
                return True
        if count <= limit:
            return True
        self._local.wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return max(1.0, getattr(self._local, "wait", None) or 1.0)


class PartnerNinjaAPI(NinjaAPI):
    """Documents the problem+json answers every operation can give, and renders 405 in the envelope."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem_ref = {"$ref": "#/components/schemas/ProblemOut"}
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault("ProblemOut", PROBLEM_SCHEMA)
        common = {
            "401": _("Missing, unknown, revoked or expired API key (`not_authenticated`)."),
            "429": _("Too many requests for this key (`throttled`); see the Retry-After header."),
            "500": _("Unexpected error (`server_error`); it has been logged."),
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for status, description in common.items():
                    if status not in responses and int(status) not in responses:
                        responses[int(status)] = {"description": str(description)}
                for status, response in responses.items():
                    if str(status)[0] in "45":
                        response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}}
        return schema

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _problem_not_allowed(pattern.callback)
        return patterns


def _problem_not_allowed(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return problem_response(
                405, "method_not_allowed", _("Method not allowed."), headers={"Allow": response.get("Allow", "")}
            )
        return response

    for attribute in ("csrf_exempt",):
        if hasattr(view, attribute):
            setattr(wrapper, attribute, getattr(view, attribute))
    return wrapper


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemOut",
    "type": "object",
    "required": ["status", "code", "detail"],
    "properties": {
        "status": {"type": "integer", "example": 400},
        "code": {"type": "string", "example": "validation_error"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}

DESCRIPTION = gettext_lazy(
    "Border wait estimates for logistics firms: the crossings of the China–Kazakhstan–Russia corridor with their "
    "current estimates, one queue's estimate, its history, and webhook alerts when a wait crosses a threshold. "
    "Aggregates only; never a driver's data.\n\n"
    "**Auth**: header `X-API-Key: <key>` (issued by Kezek; shown once). **Throttle**: per key; 429 with "
    "`Retry-After`. **Errors**: `application/problem+json` `{status, code, detail, errors?}`. **Caching**: reads "
    "carry `ETag` and `Cache-Control`; send `If-None-Match` to get 304 when nothing changed. **Timestamps**: "
    "ISO 8601 in UTC (`Z`). **Webhooks**: signed, see the integration guide (docs/partner-api.md)."
)

partner_api = PartnerNinjaAPI(
    title="Kezek partner API",
    version="1.0.0",
    urls_namespace="partner",
    description=str(DESCRIPTION),
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=PartnerKeyAuth(),
    throttle=[PartnerKeyThrottle()],
)


# --- Error envelope ---------------------------------------------------------------------------------
_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "datetime_parsing": gettext_lazy("Enter an ISO 8601 timestamp with an offset, e.g. 2026-11-21T09:30:00Z."),
    "datetime_from_date_parsing": gettext_lazy(
        "Enter an ISO 8601 timestamp with an offset, e.g. 2026-11-21T09:30:00Z."
    ),
    "timezone_aware": gettext_lazy("Enter an ISO 8601 timestamp with an offset, e.g. 2026-11-21T09:30:00Z."),
    "string_type": gettext_lazy("Enter a text value."),
    "string_too_long": gettext_lazy("This value is too long."),
    "greater_than_equal": gettext_lazy("This value is too small."),
    "less_than_equal": gettext_lazy("This value is too large."),
    "model_attributes_type": gettext_lazy("Send a JSON object."),
    "dict_type": gettext_lazy("Send a JSON object."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
}


def _validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ninja's error list (``loc`` like ``("query", "direction")``) as ``{"direction": ["message"]}``."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"query", "path", "header", "body", "cookie", "form"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":  # the body parameter's own name
            loc = loc[1:]
        field = ".".join(loc) or "non_field_errors"
        kind = error.get("type", "")
        message = _MESSAGES.get(kind)
        if message is None:
            message = str(error.get("msg", _("This value is not valid.")))
            message = message.removeprefix("Value error, ")
        out.setdefault(field, []).append(str(message))
    return out


@partner_api.exception_handler(ValidationError)
def _on_validation_error(request, exc: ValidationError):
    return problem_response(
        400, "validation_error", _("The request has invalid fields."), _validation_errors(exc.errors)
    )


@partner_api.exception_handler(DomainError)
def _on_domain_error(request, exc: DomainError):
    return problem_response(exc.http_status, exc.code, exc.detail, exc.errors)


@partner_api.exception_handler(AuthenticationError)
def _on_authentication_error(request, exc: AuthenticationError):
    return problem_response(
        401,
        "not_authenticated",
        _("Send a valid API key in the X-API-Key header."),
        headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
    )


@partner_api.exception_handler(Throttled)
def _on_throttled(request, exc: Throttled):
    seconds = max(1, math.ceil(exc.wait or 1))
    return problem_response(
        429,
        "throttled",
        _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds},
        headers={"Retry-After": str(seconds)},
    )


@partner_api.exception_handler(Http404)
def _on_not_found(request, exc: Http404):
    return problem_response(404, "not_found", _("Not found."))


_HTTP_CODES = {
    400: ("malformed_request", gettext_lazy("The request body is not valid JSON.")),
    401: ("not_authenticated", gettext_lazy("Send a valid API key in the X-API-Key header.")),
    403: ("permission_denied", gettext_lazy("You do not have permission to perform this action.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("Method not allowed.")),
    409: ("conflict", gettext_lazy("The request conflicts with the current state.")),
    413: ("payload_too_large", gettext_lazy("The request body is too large.")),
    429: ("throttled", gettext_lazy("Too many requests.")),
}


@partner_api.exception_handler(HttpError)
def _on_http_error(request, exc: HttpError):
    code, detail = _HTTP_CODES.get(exc.status_code, ("error", gettext_lazy("The request could not be processed.")))
    return problem_response(exc.status_code, code, str(detail))


@partner_api.exception_handler(Exception)
def _on_unexpected(request, exc: Exception) -> HttpResponse:
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("partner API: database unavailable (%s)", type(exc).__name__)
        return problem_response(
            503,
            "service_unavailable",
            _("The service is temporarily unavailable. Try again shortly."),
            headers={"Retry-After": "5"},
        )
    logger.exception("partner API: unexpected error")
    return problem_response(500, "server_error", _("An unexpected error occurred. It has been logged."))


# The operations (imported last: the router module uses the names above only through the API object).
from queues.api.partner import router as _partner_router  # noqa: E402

partner_api.add_router("", _partner_router)
