"""The partner API's key auth and per-key throttle, and the problem+json answers they give (401, 429).

The API instance that uses them is wired in ``config.api``; the envelope of every other error is
``core.errors``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, Throttled
from ninja.security import APIKeyHeader
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

from core.errors import problem_response
from queues.services import partner_keys

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"


class PartnerKeyAuth(APIKeyHeader):
    """``X-API-Key: <prefix>.<secret>``; revoked, expired or unknown keys are refused (401).

    ``answer_cache_key(request)`` may name a cached answer the request's operation will want: on Redis it is
    read in the same round trip as the key and left on the request (``partner_answer_stored``).
    """

    param_name = API_KEY_HEADER

    def __init__(self, *, answer_cache_key: Callable[[HttpRequest], str | None] = lambda request: None) -> None:
        super().__init__()
        self.answer_cache_key = answer_cache_key

    def authenticate(self, request: HttpRequest, key: str | None):
        entry = partner_keys.UNREAD
        if key and "." in key and len(key) <= 200:
            entry = _read_key_and_count(request, key, answer_key=self.answer_cache_key(request))
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


def _read_key_and_count(request: HttpRequest, raw_key: str, *, answer_key: str | None) -> object:
    """On Redis, in one round trip: the cached entry of the key (for ``partner_key_authenticate``), the
    throttle's count of this request (kept on the request for :class:`PartnerKeyThrottle`) and the cached answer
    under ``answer_key`` if given (``request.partner_answer_stored``, for the operation). Elsewhere (tests, local
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
    if answer_key is not None:
        pipeline.get(backend.make_and_validate_key(answer_key))
    try:
        if getattr(backend, "breaker_open", lambda: False)():
            raise RedisError("circuit open")  # a recent error: do not wait for the cache again
        results = pipeline.execute()
    except RedisError:
        getattr(backend, "_degraded", lambda operation: None)("get")
        request._partner_hits = _Hits(count=None)
        # Neither a hit nor a miss: the key and the answer come from the database and are not written back
        # (each write would wait for the unreachable cache again).
        if answer_key is not None:
            request.partner_answer_stored = _CACHE_DOWN
        return _CACHE_DOWN
    if rate is not None:
        request._partner_hits = _Hits(count=int(results[1]), period=period, window=window, now=now)
    if answer_key is not None:
        request.partner_answer_stored = None if results[-1] is None else client._serializer.loads(results[-1])
    return None if results[0] is None else client._serializer.loads(results[0])


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


def authentication_failed(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """401 ``not_authenticated``, naming the header the key goes in."""
    return problem_response(
        401,
        "not_authenticated",
        _("Send a valid API key in the X-API-Key header."),
        headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
    )


def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 ``throttled`` with ``Retry-After`` in whole seconds."""
    seconds = max(1, math.ceil(exc.wait or 1))
    return problem_response(
        429,
        "throttled",
        _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds},
        headers={"Retry-After": str(seconds)},
    )
