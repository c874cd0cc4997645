"""Production settings: secrets have no default, HTTPS everywhere, PostgreSQL and Redis expected."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# No default: the number of proxies in front decides whose address a throttle counts (see base.py).
NUM_PROXIES = env.int("NUM_PROXIES")
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": NUM_PROXIES}  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
WEBHOOK_ALLOW_PRIVATE_TARGETS = False
# No default, and never the console backend: it would print every sign-in code into the production logs.
SMS_BACKEND = env.str("SMS_BACKEND")
if SMS_BACKEND.strip().lower() in {"console", "carriers.sms.consolesmsbackend"}:
    raise ImproperlyConfigured(
        "SMS_BACKEND=console prints sign-in codes into the logs: name a provider backend (or file) in production."
    )
