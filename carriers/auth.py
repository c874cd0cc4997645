"""Driver authentication: knox tokens (hashed, per device, expiring, revocable) for users with a driver.

One query per request: the token is looked up by its key prefix together with its user, the user's driver and
the driver's carrier (``select_related``), so :class:`IsDriver` and the views find ``request.user.driver``
already loaded. Nothing is cached between requests, so a token deleted by logout, by signing a device out or in
the admin, a deactivated user and a token past its expiry are refused on the very next request.

Unlike knox's own class, it does not scan the user's other tokens on every request to delete expired ones: the
periodic ``carriers.auth_tokens_purge`` task does that. An expired token presented here is still deleted (as
knox does) and refused. The sliding expiry is knox's: each use moves it to now + ``TOKEN_TTL``, written at most
once per ``MIN_REFRESH_INTERVAL``.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from carriers.models import Device


class DriverTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``."""

    def authenticate_credentials(self, token: bytes):
        message = _("Invalid token.")
        try:
            raw = token.decode("utf-8")
            digest = hash_token(raw)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        candidates = get_token_model().objects.select_related("user", "user__driver", "user__driver__carrier")
        for auth_token in candidates.filter(token_key=raw[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                raise exceptions.AuthenticationFailed(message)
            if knox_settings.AUTO_REFRESH and auth_token.expiry is not None:
                self.renew_token(auth_token)  # knox: an UPDATE only when it moves by more than MIN_REFRESH_INTERVAL
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def renew_token(self, auth_token) -> None:
        """knox's sliding expiry; when it is written (at most once per MIN_REFRESH_INTERVAL), the device's
        ``last_used_at`` is written with it."""
        previous = auth_token.expiry
        super().renew_token(auth_token)
        if (auth_token.expiry - previous).total_seconds() > knox_settings.MIN_REFRESH_INTERVAL:
            Device.objects.filter(auth_token=auth_token).update(last_used_at=timezone.now())


class IsDriver(BasePermission):
    """A signed-in user with a driver (loaded with the token: no query)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "driver"))
