"""Driver API throttles, keyed on the client's address as the trusted proxies saw it.

Rates are read at request time (settings can change). ``NUM_PROXIES`` is the number of reverse proxies in front
of the application that append to ``X-Forwarded-For``: the client is that many entries from the right of the
header (see :func:`carriers.domain.client_address`); with 0 the header is ignored.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from carriers.domain import InvalidPhone, client_address, phone_normalize
from core.cache import CacheUnavailable, cache_round_trip
from core.throttles import fixed_window, fixed_window_wait, parse_rate

logger = logging.getLogger(__name__)


def request_client_address(request) -> str:
    """The client's IP address for ``request`` (Django's or DRF's): throttles, the admin lock-out, logs."""
    meta = request.META
    return client_address(
        remote_addr=meta.get("REMOTE_ADDR", ""),
        forwarded_for=meta.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxies=int(settings.NUM_PROXIES),
    )


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        return request_client_address(request)


class OtpPhoneThrottle(_SettingsRateThrottle):
    """Codes requested for one phone number from one client address.

    Keyed on both, so that someone asking for codes for a number that is not theirs spends their own budget,
    never the owner's. Codes to one phone from all addresses together are spaced by the sign-in service
    (a gap that grows with each code, see ``carriers.services.otp_request``), which bounds SMS bombing.
    """

    scope = "otp_phone"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            phone = phone_normalize(str(data.get("phone", "")))
        except InvalidPhone:
            return None  # not a phone: the request is refused as invalid anyway
        return self.cache_format % {"scope": self.scope, "ident": f"{phone}|{self.get_ident(request)}"}


class IpThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OtpIpThrottle(IpThrottle):
    scope = "otp_ip"


class TokenIpThrottle(IpThrottle):
    scope = "token_ip"


def driver_rate(scope: str) -> tuple[int, int] | None:
    """The rate of ``scope`` as ``(requests, seconds)``, read on each request; ``None`` when unset or invalid."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if not isinstance(rate, str) or not rate:
        return None
    try:
        return parse_rate(rate)
    except (KeyError, ValueError):
        logger.error("the %s rate is not a valid rate; that throttle is off", scope)
        return None


def driver_read_rate() -> tuple[int, int] | None:
    """The ``driver`` rate (reads per signed-in driver)."""
    return driver_rate("driver")


def driver_counter_key(scope: str, user_id: object, period: int, window: int) -> str:
    """The counter of one driver's requests (by user id) in ``scope`` in one window."""
    return f"throttle:{scope}:{user_id}:{period}:{window}"


def driver_read_counter_key(user_id: object, period: int, window: int) -> str:
    """The counter of one driver's reads in one window."""
    return driver_counter_key("driver", user_id, period, window)


class DriverWindowThrottle(BaseThrottle):
    """Requests of one signed-in driver in a scope, at the scope's rate: a fixed window per driver
    (``core.throttles``), one INCR per request. With the cache down requests are let through. Subclasses name the
    scope and which requests count."""

    def scope_for(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self.wait_seconds = None
        user = getattr(request, "user", None)
        scope = self.scope_for(request, view) if (user and user.is_authenticated) else None
        rate = driver_rate(scope) if scope else None
        if user is None or scope is None or rate is None:
            return True
        limit, period = rate
        counted = getattr(request._request, "driver_read_counted", None) if scope == "driver" else None
        if counted is not None and counted[0] == user.pk and counted[1] == period:
            _user_id, _period, count, now = counted
        else:
            now = time.time()
            counter = driver_counter_key(scope, user.pk, period, fixed_window(period, now))
            try:
                _values, count = cache_round_trip([], count=(counter, period + 1))
            except CacheUnavailable:
                return True
        if count <= limit:
            return True
        self.wait_seconds = fixed_window_wait(period, now)
        return False

    def wait(self) -> float | None:
        return self.wait_seconds


class DriverReadThrottle(DriverWindowThrottle):
    """Reads (GET, HEAD, OPTIONS) by one signed-in driver, all endpoints together (rate ``driver``).

    The driver API's default throttle: a leaked or scripted token cannot hammer the read endpoints. Writes
    have their own scopes (``reports``) or are cheap; anonymous requests are refused before they cost much.
    The hot crossing reads count the read in the round trip that checks their token (``queues.api.fast``) and
    leave the count on the request, so a read that goes on into DRF is counted once.
    """

    def scope_for(self, request, view) -> str | None:
        return "driver" if request.method in SAFE_METHODS else None


class DriverScopeThrottle(DriverWindowThrottle):
    """Requests of one signed-in driver to the views of a ``throttle_scope`` (e.g. ``reports``), at its rate."""

    def scope_for(self, request, view) -> str | None:
        return getattr(view, "throttle_scope", None)
