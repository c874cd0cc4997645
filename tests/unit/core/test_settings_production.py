"""Production settings refuse to start on what would be unsafe behind a public address."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
COMPLETE = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "test-production-settings-a-long-random-enough-secret-value-0123456789",
    "ALLOWED_HOSTS": "kezek.example.com",
    "SMS_BACKEND": "file",
    "NUM_PROXIES": "1",
    "DATABASE_URL": "sqlite:///" + str(PROJECT_DIR / "var" / "production-settings-check.sqlite3"),
}


def deploy_check(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("REDIS_URL", None)
    env.update(COMPLETE)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_complete_production_settings_pass_the_deploy_check():
    result = deploy_check()

    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_the_trusted_proxy_count():
    result = deploy_check(NUM_PROXIES=None)

    assert result.returncode != 0
    assert "NUM_PROXIES" in result.stderr


@pytest.mark.parametrize("backend", ["console", "Console", "carriers.sms.ConsoleSmsBackend"])
def test_production_refuses_the_console_sms_backend(backend):
    result = deploy_check(SMS_BACKEND=backend)

    assert result.returncode != 0
    assert "SMS_BACKEND" in result.stderr
