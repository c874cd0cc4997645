"""Helpers for the sign-in tests: the locmem SMS outbox and clean throttle counters."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from carriers import sms

OTP_URL = "/api/v1/auth/otp"
TOKEN_URL = "/api/v1/auth/token"
LOGOUT_URL = "/api/v1/auth/logout"
ME_URL = "/api/v1/me"
ME_CARRIER_URL = "/api/v1/me/carrier"
PROBLEM = "application/problem+json"


@pytest.fixture(name="outbox")
def outbox_fixture():
    """The locmem SMS outbox, empty, and throttle counters reset (the cache may be a shared Redis in CI)."""
    sms.outbox.clear()
    cache.clear()
    yield sms.outbox
    sms.outbox.clear()


def code_sent_to(phone: str) -> str:
    """The code in the newest SMS to ``phone``."""
    texts = [message.text for message in sms.outbox if message.phone == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"(?<!\d)\d{6}(?!\d)", texts[-1]).group(0)


def sign_in(client, phone: str, device: str = "Pixel 7") -> dict:
    """Requests a code and exchanges it; returns the 201 body."""
    assert client.post(OTP_URL, {"phone": phone}, format="json").status_code == 202
    response = client.post(TOKEN_URL, {"phone": phone, "code": code_sent_to(phone), "device": device}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def set_rates(settings, **rates: str) -> None:
    """Overrides throttle rates (e.g. ``otp_phone="2/hour"``); DRF reloads its settings on change."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }
