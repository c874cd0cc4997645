"""The partner API's key auth and per-key throttle, and the problem+json answers they give (401, 429).

The API instance that uses them is wired in ``config.api``; the envelope of every other error is
``core.errors``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, Throttled
from ninja.security import APIKeyHeader
from ninja.throttling import BaseThrottle

from core.answers import UNAVAILABLE
from core.cache import CacheUnavailable, cache_round_trip, counter_add
from core.errors import problem_response
from core.throttles import fixed_window, parse_rate
from queues.services import partner_keys

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"


class PartnerKeyAuth(APIKeyHeader):
    """``X-API-Key: <prefix>.<secret>``; revoked, expired or unknown keys are refused (401).

    ``answer_cache_keys(request)`` may name the version stamp and entry of the stored answer the request's
    operation will want: they are read in the same round trip as the key and left on the request
    (``partner_answer_read``).
    """

    param_name = API_KEY_HEADER

    def __init__(self, *, answer_cache_keys: Callable[[HttpRequest], Sequence[str]] = lambda request: ()) -> None:
        super().__init__()
        self.answer_cache_keys = answer_cache_keys

    def authenticate(self, request: HttpRequest, key: str | None):
        checked = getattr(request, "_partner_key_checked", None)
        if checked is not None and checked[0] == key:
            return checked[1]  # checked before ninja ran (queues.api.fast), in the same round trip as its count
        return partner_key_check(request, key, answer_keys=self.answer_cache_keys(request))


def partner_key_check(request: HttpRequest, key: str | None, *, answer_keys: Sequence[str]):
    """The usable key for the raw ``key`` or ``None``, read with its throttle count and ``answer_keys`` in one
    round trip (see :func:`_read_key_and_count`); the result is left on the request, so that the partner auth
    does not check (nor count) the same request twice."""
    entry = partner_keys.UNREAD
    if key and "." in key and len(key) <= 200:
        entry = _read_key_and_count(request, key, answer_keys=answer_keys)
    checked = partner_keys.partner_key_authenticate(raw_key=key, as_of=timezone.now(), entry=entry)
    request._partner_key_checked = (key, checked)
    return checked


def partner_within_rate(request: HttpRequest) -> bool:
    """Whether the count taken by :func:`partner_key_check` is within the key's rate (``True`` when not counted:
    the cache down, or no rate)."""
    rate = _rate()
    hits = getattr(request, "_partner_hits", None)
    if rate is None or hits is None or hits.count is None or hits.period != rate[1]:
        return True
    return hits.count <= rate[0]


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


def _read_key_and_count(request: HttpRequest, raw_key: str, *, answer_keys: Sequence[str]) -> object:
    """In one round trip (``core.cache.cache_round_trip``): the cached entry of the key (for
    ``partner_key_authenticate``), the throttle's count of this request (kept on the request for
    :class:`PartnerKeyThrottle`) and the values of ``answer_keys`` (a stored answer's version stamp and entry, left
    on the request as ``partner_answer_read`` for the operation)."""
    rate = _rate()
    now = time.time()
    count = None
    if rate is not None:
        period = rate[1]
        window = fixed_window(period, now)
        count = (_throttle_key(raw_key, period, window), period + 1)
    try:
        values, counted = cache_round_trip([partner_keys.partner_key_cache_key(raw_key), *answer_keys], count=count)
    except CacheUnavailable:
        request._partner_hits = _Hits(count=None)
        # Neither a hit nor a miss: the key and the answer come from the database and are not written back
        # (each write would wait for the unreachable cache again).
        if answer_keys:
            request.partner_answer_read = (UNAVAILABLE, UNAVAILABLE)
        return _CACHE_DOWN
    if rate is not None:
        request._partner_hits = _Hits(count=counted, period=period, window=window, now=now)
    if answer_keys:
        request.partner_answer_read = tuple(values[1:])
    return values[0]


class PartnerKeyThrottle(BaseThrottle):
    """A fixed window per key in the cache (``core.throttles``: one atomic increment per request, counted by
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
                count = counter_add(_throttle_key(raw_key, period, window), period + 1)
            except CacheUnavailable:
                return True
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
