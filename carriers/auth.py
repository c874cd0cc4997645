"""Driver authentication: knox tokens (hashed, per device, expiring, revocable) for users with a driver.

One query per request: the token is looked up by its key prefix together with its user, the user's driver and
the driver's carrier (``select_related``), so :class:`IsDriver` and the views find ``request.user.driver``
already loaded. Nothing is cached between requests, so a token deleted by logout, by signing a device out or in
the admin, a deactivated user and a token past its expiry are refused on the very next request.

The hot crossing reads are served before DRF runs (``queues.api.fast``): they check the token against a cache
entry written when a request of theirs passed the database check here (:func:`driver_token_remember`), in the
same round trip that fetches their answer and counts the driver's read (:func:`driver_read_round_trip`). Any
deleted token (logout, a device signed out, the admin, the purge), any saved user (deactivated) and any deleted
driver overwrites the entries of the tokens concerned with a marker, at once and again after the commit; entries
are only ever added, never overwritten, so a check that raced a revocation cannot bring the token back. An entry
is used only until the token expires or its sliding expiry is due to be written, both taken from the row as
stored (knox moves the expiry in memory on every use, and writes it only now and then).

Unlike knox's own class, it does not scan the user's other tokens on every request to delete expired ones: the
periodic ``carriers.auth_tokens_purge`` task does that. An expired token presented here is still deleted (as
knox does) and refused. The sliding expiry is knox's: each use moves it to now + ``TOKEN_TTL``, written at most
once per ``MIN_REFRESH_INTERVAL``.
"""

from __future__ import annotations

import binascii
import contextvars
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hmac import compare_digest
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from carriers.api.throttles import driver_read_counter_key, driver_read_rate
from carriers.models import Device, Driver
from core.cache import (
    cache_loads,
    cache_script,
    cache_text,
    cache_text_add,
    cache_text_set_many,
    counter_add,
    redis_backend,
)
from core.throttles import fixed_window

# An entry is kept at most this long (and never past the token's expiry or its next sliding-expiry write).
TOKEN_ENTRY_MAX_SECONDS = 3600
# A revocation's marker outlives any request that read the token before the revocation committed.
TOKEN_FORGOTTEN_SECONDS = 60
_ENTRY_TAG = "t1"
_FORGOTTEN = "forgotten"
# Set by the views that read the entry before DRF runs: only their fallbacks write it (one cache write), not
# every authenticated request.
remember_token: contextvars.ContextVar[bool] = contextvars.ContextVar("remember_token", default=False)


def driver_token_cache_key(token_key: str) -> str:
    """The cache key of the entry of the token whose knox key (its first characters) is ``token_key``."""
    return f"auth:token:{hashlib.sha256(token_key.encode()).hexdigest()[:32]}"


def driver_token_raw(authorization: str | None) -> str | None:
    """The raw token of an ``Authorization: Token <token>`` header, else ``None``."""
    if not authorization:
        return None
    prefix, _sep, raw = authorization.partition(" ")
    raw = raw.strip()
    if prefix != knox_settings.AUTH_HEADER_PREFIX or not raw or len(raw) > 200 or " " in raw:
        return None
    return raw


def _token_check(raw: str) -> str:
    # What the entry holds to compare a token against (never the token): a fast hash, the token being random.
    return hashlib.sha256(raw.encode()).hexdigest()


def driver_token_entry_check(*, raw: str, entry: object, as_of: float) -> int | None:
    """The user id when ``entry`` (the cache's value of the token's key) vouches for the token ``raw`` at the UNIX
    time ``as_of``, else ``None`` (check it in the database)."""
    text = cache_text(entry)
    if text is None:
        return None
    fields = text.split("|")
    if len(fields) != 5 or fields[0] != _ENTRY_TAG:
        return None
    _tag, check, usable_until, user_id, _driver_id = fields
    if not (usable_until.isdigit() and user_id.isdigit()) or as_of >= int(usable_until):
        return None
    if not compare_digest(check, _token_check(raw)):
        return None
    return int(user_id)


def driver_token_remember(*, raw: str, auth_token, stored_expiry: datetime | None, as_of: datetime) -> None:
    """Adds the entry of a token that has just passed the database check (never over an entry or a marker).
    ``stored_expiry`` is the token's expiry as the database holds it after this request."""
    user = auth_token.user
    driver = getattr(user, "driver", None)
    if driver is None or not user.is_active:
        return
    usable_until = as_of.timestamp() + TOKEN_ENTRY_MAX_SECONDS
    if stored_expiry is not None:
        usable_until = min(usable_until, stored_expiry.timestamp())
        if knox_settings.AUTO_REFRESH:
            # knox writes the sliding expiry once it would move by more than MIN_REFRESH_INTERVAL: from then on
            # the database check must run again (it writes the expiry and the device's last use).
            due = stored_expiry - knox_settings.TOKEN_TTL
            usable_until = min(usable_until, due.timestamp() + knox_settings.MIN_REFRESH_INTERVAL)
    seconds = int(usable_until - as_of.timestamp())
    if seconds >= 1:
        text = f"{_ENTRY_TAG}|{_token_check(raw)}|{int(usable_until)}|{user.pk}|{driver.pk}"
        cache_text_add(driver_token_cache_key(auth_token.token_key), text, seconds)


def driver_tokens_forget(*, token_keys: Sequence[str]) -> None:
    """Overwrites the entries of these tokens with a marker, now and again after the current transaction."""

    def forget() -> None:
        cache_text_set_many(
            {driver_token_cache_key(token_key): _FORGOTTEN for token_key in token_keys}, TOKEN_FORGOTTEN_SECONDS
        )

    if token_keys:
        forget()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(forget, robust=True)


def _forget_deleted_token(sender, instance, **kwargs) -> None:
    driver_tokens_forget(token_keys=[instance.token_key])


def _forget_user_tokens(sender, instance, created: bool = False, **kwargs) -> None:
    if created:
        return
    user_id = instance.user_id if isinstance(instance, Driver) else instance.pk
    driver_tokens_forget(
        token_keys=list(get_token_model().objects.filter(user_id=user_id).values_list("token_key", flat=True))
    )


post_delete.connect(_forget_deleted_token, sender=get_token_model(), dispatch_uid="driver_token_forget_deleted")
post_save.connect(_forget_user_tokens, sender=get_user_model(), dispatch_uid="driver_token_forget_user_saved")
post_delete.connect(_forget_user_tokens, sender=Driver, dispatch_uid="driver_token_forget_driver_deleted")


# --- The hot read's round trip --------------------------------------------------------------------
# The token's entry and the other keys read, and the driver's read counted when the entry vouches for the token:
# the counter's key needs the user id, which only the entry holds, hence a script rather than a pipeline.
_READ_SCRIPT = cache_script(
    """
local entry = redis.call('GET', KEYS[1])
local out = {entry}
for i = 2, #KEYS do out[i] = redis.call('GET', KEYS[i]) end
local count = false
if entry and ARGV[3] ~= '' then
  local check, usable_until, user = string.match(entry, '^t1|(%x+)|(%d+)|(%d+)|%d+$')
  if check == ARGV[1] and tonumber(usable_until) > tonumber(ARGV[2]) then
    local counter = ARGV[3] .. user .. ARGV[4]
    count = redis.call('INCR', counter)
    if count == 1 then redis.call('EXPIRE', counter, ARGV[5]) end
  end
end
out[#KEYS + 1] = count
return out
"""
)
_USER_PLACEHOLDER = "USER"


@dataclass(frozen=True, slots=True)
class DriverRead:
    """What one round trip told a hot read: the user id when the cache vouched for the token (else ``None``),
    the values of the other keys, and the driver's read count in the current window (``None``: not counted)."""

    user_id: int | None
    values: list[Any]
    count: int | None
    period: int
    now: float


def driver_read_round_trip(*, raw: str, keys: Sequence[str]) -> DriverRead:
    """Reads the token's entry and ``keys``, and counts the driver's read when the entry vouches for the token
    (the ``driver`` rate): one Lua call on Redis, the cache's own operations elsewhere. Raises
    :class:`CacheUnavailable`."""
    now = timezone.now().timestamp()
    entry_key = driver_token_cache_key(raw[: CONSTANTS.TOKEN_KEY_LENGTH])
    rate = driver_read_rate()
    period = rate[1] if rate is not None else 0
    backend = redis_backend()
    if backend is None:
        entry, *values = [cache.get(key) for key in (entry_key, *keys)]
        user_id = driver_token_entry_check(raw=raw, entry=entry, as_of=now)
        count = None
        if user_id is not None and rate is not None:
            count = counter_add(driver_read_counter_key(user_id, period, fixed_window(period, now)), period + 1)
        return DriverRead(user_id=user_id, values=values, count=count, period=period, now=now)
    prefix = suffix = ""
    if rate is not None:
        counter = driver_read_counter_key(_USER_PLACEHOLDER, period, fixed_window(period, now))
        prefix, _sep, suffix = backend.make_and_validate_key(counter).partition(_USER_PLACEHOLDER)
    results = _READ_SCRIPT([entry_key, *keys], [_token_check(raw), int(now), prefix, suffix, period + 1])
    user_id = driver_token_entry_check(raw=raw, entry=results[0], as_of=now)
    count = results[-1] if user_id is not None and isinstance(results[-1], int) else None
    values = [cache_loads(value) for value in results[1:-1]]
    return DriverRead(user_id=user_id, values=values, count=count, period=period, now=now)


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
            stored_expiry = auth_token.expiry
            # knox: an UPDATE only when it moves by more than MIN_REFRESH_INTERVAL
            if knox_settings.AUTO_REFRESH and auth_token.expiry is not None and self.renew_token(auth_token):
                stored_expiry = auth_token.expiry
            checked = self.validate_user(auth_token)
            if remember_token.get():
                driver_token_remember(raw=raw, auth_token=auth_token, stored_expiry=stored_expiry, as_of=timezone.now())
            return checked
        raise exceptions.AuthenticationFailed(message)

    def renew_token(self, auth_token) -> bool:
        """knox's sliding expiry; when it is written (at most once per MIN_REFRESH_INTERVAL), the device's
        ``last_used_at`` is written with it. Whether it was written."""
        previous = auth_token.expiry
        super().renew_token(auth_token)
        if (auth_token.expiry - previous).total_seconds() > knox_settings.MIN_REFRESH_INTERVAL:
            Device.objects.filter(auth_token=auth_token).update(last_used_at=timezone.now())
            return True
        return False


class IsDriver(BasePermission):
    """A signed-in user with a driver (loaded with the token: no query)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "driver"))
