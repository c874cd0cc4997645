"""Shared set-up of the in-process profiles (bench/profile_*.py): production settings on the benchmark's
PostgreSQL database, migrated, and a signed-in driver."""

from __future__ import annotations

import os
import uuid


def django_setup(**extra_env: str) -> None:
    """Production settings (HTTPS redirect off, throttles out of reach) on BENCH_DATABASE_URL, migrated."""
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kezek_bench")
    )
    defaults = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "profile-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SMS_BACKEND": "locmem",
        "NUM_PROXIES": "0",
        "SECURE_SSL_REDIRECT": "false",
        "THROTTLE_DRIVER": "100000000/minute",
        **extra_env,
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def signed_in_driver():
    """A new driver with one signed-in device: ``(driver, raw token)``."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from carriers.models import Device, Driver

    suffix = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create(username=f"profile-{suffix}")
    driver = Driver.objects.create(user=user, phone=f"+7705{int(suffix, 16) % 10**7:07d}", name="Profile")
    instance, token = AuthToken.objects.create(user=user)
    Device.objects.create(driver=driver, auth_token=instance, name="profile phone")
    return driver, token
