"""Test settings: the embedded default unless DATABASE_URL / REDIS_URL point at real services (CI)."""

import os

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "locmem"
# Unit and API tests run tasks in-process; the integration suite starts a real worker and turns this off.
CELERY_TASK_ALWAYS_EAGER = True
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
PUSH_BACKEND = "carriers.push.LocmemPushBackend"
LOG_LEVEL = "WARNING"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Generous rates, so only the throttling tests (which override these) ever see a 429.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "10000/minute"),
}
PARTNER_THROTTLE_RATE = "10000/minute"
OTP_RESEND_BASE_SECONDS = 0  # no spacing between codes to one phone, except in the tests of the spacing

# SQLite: a file per test run instead of shared memory. Live-server tests send concurrent requests, and Django
# hands an in-memory database's single connection to every server thread, which cannot hold two transactions.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"kezek-test-{os.getpid()}.sqlite3")
    }

# Static files are not collected for tests; WhiteNoise would warn on every request about the missing folder.
MIDDLEWARE = [name for name in MIDDLEWARE if name != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# On Redis, each test process keeps its cache in a database of its own: tests clear the cache (FLUSHDB), and one
# process's clear must not wipe another's throttle counters or pending flags. The broker stays on REDIS_URL. A
# live worker started by the fixtures inherits PYTEST_XDIST_WORKER, so it shares its test process's cache.
if REDIS_URL:  # noqa: F405
    from urllib.parse import urlsplit

    _redis = urlsplit(REDIS_URL)  # noqa: F405
    _base_db = int(_redis.path.lstrip("/") or 0)
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _index = int(_worker[2:]) if _worker[2:].isdigit() else 0
    _cache_db = _base_db - 1 - _index if _base_db > _index else _base_db + 1 + _index
    CACHES = {
        "default": {**CACHES["default"], "LOCATION": _redis._replace(path=f"/{_cache_db}").geturl()}  # noqa: F405
    }
