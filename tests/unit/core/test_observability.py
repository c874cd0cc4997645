"""Sentry is started only when SENTRY_DSN is set, sends nothing personal and redacts credentials; no network here:
events go to a transport that keeps them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.observability import event_redact

PROJECT_DIR = Path(__file__).resolve().parents[3]
DSN = "https://publickey@o0.ingest.sentry.invalid/1"


def settings_process(**env: str) -> str:
    """Imports the settings in a fresh process with ``env`` and prints whether a Sentry client is active."""
    code = (
        "import django, sys; django.setup();"
        "import sentry_sdk; c = sentry_sdk.get_client();"
        "print(c.is_active(), c.options.get('send_default_pii'), c.options.get('max_request_body_size'),"
        " c.options.get('environment'))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "DJANGO_SETTINGS"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_without_a_dsn_no_client_is_started():
    assert settings_process().startswith("False")


def test_with_a_dsn_the_client_is_started_without_personal_data():
    assert settings_process(SENTRY_DSN=DSN, SENTRY_ENVIRONMENT="staging") == "True False never staging"


def test_events_are_redacted_before_they_leave():
    key = "AbCdEfGh.0123456789abcdefghijklmnopqrstuv"
    event = {
        "message": f"refused key {key}",
        "request": {"url": f"https://kezek.example/api/partner/v1/crossings?api_key={key}"},
        "extra": {"header": "Authorization: Token 0123456789abcdef0123456789abcdef0123456789abcdef"},
    }

    redacted = str(event_redact(event))

    assert key.split(".")[1] not in redacted
    assert "0123456789abcdef0123456789abcdef" not in redacted
    assert "[redacted]" in redacted


def test_a_dsn_without_sentry_sdk_installed_is_a_clear_error(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from core.observability import sentry_init

    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    with pytest.raises(ImproperlyConfigured, match="sentry"):
        sentry_init(dsn=DSN, environment="test")
