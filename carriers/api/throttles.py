"""Sign-in throttles: per phone and per client IP, with rates read at request time (settings can change)."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from carriers.domain import InvalidPhone, phone_normalize


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class OtpPhoneThrottle(_SettingsRateThrottle):
    """Codes sent to one phone number, whatever the client's IP (SMS bombing, code guessing)."""

    scope = "otp_phone"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            phone = phone_normalize(str(data.get("phone", "")))
        except InvalidPhone:
            return None  # not a phone: the request is refused as invalid anyway
        return self.cache_format % {"scope": self.scope, "ident": phone}


class IpThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OtpIpThrottle(IpThrottle):
    scope = "otp_ip"


class TokenIpThrottle(IpThrottle):
    scope = "token_ip"
