"""Driver API throttles, keyed on the client's address as the trusted proxies saw it.

Rates are read at request time (settings can change). ``NUM_PROXIES`` is the number of reverse proxies in front
of the application that append to ``X-Forwarded-For``: the client is that many entries from the right of the
header (see :func:`carriers.domain.client_address`); with 0 the header is ignored.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from carriers.domain import InvalidPhone, client_address, phone_normalize


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


class DriverReadThrottle(_SettingsRateThrottle):
    """Reads (GET, HEAD, OPTIONS) by one signed-in driver, all endpoints together (rate ``driver``).

    The driver API's default throttle: a leaked or scripted token cannot hammer the read endpoints. Writes
    have their own scopes (``reports``) or are cheap; anonymous requests are refused before they cost much.
    """

    scope = "driver"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if request.method not in SAFE_METHODS or not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}
