"""Test settings: the embedded default unless DATABASE_URL / REDIS_URL point at real services (CI)."""

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

# SQLite: a file per test run instead of shared memory. Live-server tests send concurrent requests, and Django
# hands an in-memory database's single connection to every server thread, which cannot hold two transactions.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"kezek-test-{os.getpid()}.sqlite3")
    }

# Static files are not collected for tests; WhiteNoise would warn on every request about the missing folder.
MIDDLEWARE = [name for name in MIDDLEWARE if name != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
