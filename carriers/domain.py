"""Pure sign-in rules: phone normalisation, one-time code hashing, the client's address (no ORM, no clock)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from datetime import datetime, timedelta

import phonenumbers

OTP_DIGITS = 6


class InvalidPhone(ValueError):
    """The text is not a valid international (E.164) phone number."""


def phone_normalize(raw: str) -> str:
    """``raw`` as E.164 (``+77011234567``); raises :class:`InvalidPhone`.

    Only international numbers are accepted (a leading ``+``): drivers cross borders, so a number without its
    country code is ambiguous. Spaces, dashes and brackets are tolerated and dropped.
    """
    text = (raw or "").strip()
    if not text.startswith("+"):
        raise InvalidPhone(text)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(text) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_mask(phone: str) -> str:
    """``+77011234567`` → ``+7701***4567``-like text with no digit run as long as a code (for logs and SMS files)."""
    digits = phone.lstrip("+")
    if len(digits) < 4:
        return "+***"
    return "+" + digits[:1] + "*" * (len(digits) - 3) + "-" + digits[-2:]


def otp_code_generate(digits: int = OTP_DIGITS) -> str:
    """A uniformly random numeric code with leading zeros kept."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def otp_code_hash(*, phone: str, code: str, secret: str) -> str:
    """HMAC-SHA256 of ``phone:code`` keyed with ``secret``: the same code for two phones hashes differently."""
    message = f"{phone}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def otp_code_matches(*, phone: str, code: str, code_hash: str, secret: str) -> bool:
    """Constant-time comparison of ``code`` against a stored hash."""
    return hmac.compare_digest(otp_code_hash(phone=phone, code=code, secret=secret), code_hash)


def otp_resend_wait_seconds(*, issued_at: list[datetime], as_of: datetime, base_seconds: int, max_seconds: int) -> int:
    """Seconds before another code may be sent to a phone that was sent codes at ``issued_at`` (the recent ones).

    The gap after the n-th recent code is ``base_seconds * 2 ** (n - 1)``, capped at ``max_seconds``: a driver
    who asks again gets a new code after half a minute, while whoever keeps asking for somebody else's number
    slows down to one code per ``max_seconds``, and the owner is never walled off for longer than that.
    0 when a code may be sent now.
    """
    if not issued_at:
        return 0
    gap = min(base_seconds * 2 ** (len(issued_at) - 1), max_seconds)
    allowed_at = max(issued_at) + timedelta(seconds=gap)
    return max(0, math.ceil((allowed_at - as_of).total_seconds()))


def invite_code_normalize(raw: str) -> str:
    """An invite code as typed (lower case, spaces, dashes) in its stored form."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def client_address(*, remote_addr: str, forwarded_for: str | None, trusted_proxies: int) -> str:
    """The address of the client as the trusted proxies in front of the application saw it.

    Each trusted proxy appends the address it received the connection from to ``X-Forwarded-For``; anything to
    the left of what they appended was written by the client and proves nothing. Behind ``trusted_proxies``
    proxies the client is therefore the ``trusted_proxies``-th entry from the right. With no trusted proxy the
    header is ignored and the socket address (``remote_addr``) is the client. A chain shorter than the proxy
    count (a request that skipped the outer proxies) yields its leftmost entry, the farthest hop a proxy
    recorded; an entry that is not an IP address yields ``remote_addr``.
    """
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    candidate = hops[-min(trusted_proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
