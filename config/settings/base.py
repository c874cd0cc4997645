"""Settings shared by every environment, read from the environment (django-environ).

With nothing set, Kezek runs on an embedded default: a SQLite file in the project, Celery tasks run
in-process and a local-memory cache. With ``DATABASE_URL`` and ``REDIS_URL`` set it runs on PostgreSQL
with Redis as cache and Celery broker, so worker and beat processes can run on other machines.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "workplace.apps.WorkplaceConfig",  # first: its admin templates override django.contrib.admin's
    "workplace.apps.KezekAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files, pinned by the package version
    "phonenumber_field",
    "django_countries",
    "ninja",
    "axes",
    "carriers",
    "queues",
    "stays",
]

MIDDLEWARE = [
    # First: it counts and times every answer, the ones the middleware below gives itself included.
    "core.metrics.MetricsMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.ApiSecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.BodySizeLimitMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out admin sign-in into its lock-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE transactions take the write lock up front, so a
    # concurrent writer waits (busy timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's own Redis cache raises on connection errors; this subclass degrades to a miss.
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kezek",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kezek"}}

# --- Celery ---------------------------------------------------------------------------------------
# In-process tasks still take a producer from the broker pool: "memory://localhost" names the host that kombu
# would otherwise warn it is assuming.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="kezek")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
# Longer than the longest task (hard limit 180 s), so an unacknowledged task comes back only when its worker
# really died. Short socket timeouts: a request that enqueues never hangs on a dead or unreachable broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Publishing gives up quickly; the caller swallows the error and the beat sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# A task that keeps killing its worker is dropped after this many deliveries (core.tasks.KezekTask).
CELERY_TASK_MAX_DELIVERIES = env.int("CELERY_TASK_MAX_DELIVERIES", default=3)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 300_000  # KiB: a leaking child is replaced between tasks
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Exactly one beat process per deployment (`make beat` / one `celery beat` service, never `worker -B` on several
# workers): two beats would send every periodic task twice. The every-minute entries expire before the next run,
# so a backlog after an outage does not replay every missed minute.
CELERY_BEAT_SCHEDULE = {
    "estimate-sweep": {"task": "queues.estimate_sweep", "schedule": timedelta(minutes=1), "options": {"expires": 50}},
    "estimate-points-purge": {"task": "queues.estimate_points_purge", "schedule": crontab(hour=3, minute=17)},
    "purge-report-locations": {"task": "queues.report_locations_purge", "schedule": timedelta(hours=1)},
    "reports-process-sweep": {
        "task": "queues.reports_process_sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "alert-deliveries-sweep": {
        "task": "queues.alert_deliveries_sweep",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "stay-daily-check": {"task": "stays.daily_check", "schedule": crontab(hour=2, minute=0)},
    "join-by-reminders": {
        "task": "stays.join_by_reminders",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    "one-time-codes-purge": {"task": "carriers.one_time_codes_purge", "schedule": timedelta(hours=6)},
    "auth-tokens-purge": {"task": "carriers.auth_tokens_purge", "schedule": timedelta(hours=6)},
}

# --- Auth -----------------------------------------------------------------------------------------
# Admin sign-in lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one
# client address (NUM_PROXIES decides the address), that pair is refused for ADMIN_LOCKOUT_MINUTES, even with
# the right password. Per pair, so that nobody locks a dispatcher out from elsewhere. An operator unlocks early
# by deleting the attempt in the admin (Axes > Access attempts) or with `manage.py axes_reset_username <name>`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "carriers.api.throttles.request_client_address"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not recorded (no address history of dispatchers)
AXES_VERBOSE = False
AXES_COOLOFF_MESSAGE = _(
    "Too many wrong passwords: signing in as this user from this address is locked for a while. "
    "Try again later, or ask an operator to unlock it."
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
KNOX_TOKEN_MODEL = "knox.AuthToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 3600,
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": 20,
}
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = 5
# Codes to one phone are spaced: the gap after the n-th code of the last hour is 30 s * 2^(n-1), at most 15 min
# (carriers.domain.otp_resend_wait_seconds). Earlier codes stay valid meanwhile; the newest few are accepted.
OTP_RESEND_BASE_SECONDS = env.int("OTP_RESEND_BASE_SECONDS", default=30)
OTP_RESEND_MAX_SECONDS = env.int("OTP_RESEND_MAX_SECONDS", default=900)
OTP_RESEND_WINDOW_SECONDS = 3600
OTP_LIVE_CODES = 3
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))

# --- Client address -------------------------------------------------------------------------------
# How many reverse proxies in front of the application append to X-Forwarded-For (TLS ends at one in
# production). Per-address throttles and the admin lock-out take the client that many entries from the right of
# the header; 0 ignores the header (anyone can write it). Wrong in either direction is harmful: too low and every
# client shares the proxy's bucket, too high and a client picks its own address. Required in production.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["carriers.auth.DriverTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["carriers.auth.IsDriver"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.errors.drf_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    # Reads per signed-in driver; sign-in and report views name their own throttles instead.
    "DEFAULT_THROTTLE_CLASSES": ["carriers.api.throttles.DriverReadThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "otp_phone": env.str("THROTTLE_OTP_PHONE", default="5/hour"),
        "otp_ip": env.str("THROTTLE_OTP_IP", default="30/hour"),
        "token_ip": env.str("THROTTLE_TOKEN_IP", default="60/hour"),
        "driver": env.str("THROTTLE_DRIVER", default="600/minute"),
        "reports": env.str("THROTTLE_REPORTS", default="120/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kezek driver API",
    "DESCRIPTION": (
        "The API of the Kezek mobile app for truck drivers: phone sign-in, border queue reports, "
        "crossing waits, days of stay and registry risk. Errors are application/problem+json."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from swagger.io's online validator: the docs page loads nothing from another origin (CSP).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    # Two "kind" fields with different choices: each enum gets a name of its own in generated clients.
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "queues.domain.kinds.REPORT_KINDS",
        "StayEventKindEnum": ["entry", "exit"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.problem_json_media_type",
    ],
}
PARTNER_THROTTLE_RATE = env.str("PARTNER_THROTTLE_RATE", default="600/minute")
PARTNER_PAGE_SIZE_MAX = 500

# --- Request limits -------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Domain thresholds ----------------------------------------------------------------------------
STAY_RISK_WATCH_DAYS = env.int("STAY_RISK_WATCH_DAYS", default=15)
# Seconds between a change of a driver's stay history and its assessment (a burst of changes is assessed once).
STAY_REFRESH_DELAY_SECONDS = env.int("STAY_REFRESH_DELAY_SECONDS", default=20)
STAY_RISK_HIGH_DAYS = env.int("STAY_RISK_HIGH_DAYS", default=5)
# Route choice (docs/routes.md): road kilometres per great-circle kilometre, and a loaded truck's average speed.
ROUTE_ROAD_FACTOR = env.float("ROUTE_ROAD_FACTOR", default=1.3)
ROUTE_TRUCK_SPEED_KMH = env.float("ROUTE_TRUCK_SPEED_KMH", default=60.0)
# The driver's reminder to join an exit queue comes this many hours before the earliest join-by (docs/stays.md).
JOIN_BY_REMINDER_HOURS = env.int("JOIN_BY_REMINDER_HOURS", default=24)
REPORT_LOCATION_RETENTION_HOURS = env.int("REPORT_LOCATION_RETENTION_HOURS", default=72)
# The key of the reports' content hashes (an HMAC: without it a hash cannot be tested against guessed coordinates).
# Derived from SECRET_KEY unless set; set it to rotate SECRET_KEY without changing stored hashes (a changed key
# makes a retry of a report stored before the change answer ``conflict`` instead of ``duplicate``).
REPORT_HASH_KEY = env.str("REPORT_HASH_KEY", default="") or f"kezek.report-content-hash:{SECRET_KEY}"
PUSH_BACKEND = env.str("PUSH_BACKEND", default="carriers.push.LoggingPushBackend")
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
# Prometheus metrics on GET /metrics (core/metrics.py): off (404) until a bearer token is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Error reports to Sentry, only when a DSN is set (needs the `sentry` extra: pip install '.[sentry]').
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.observability import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- I18n -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
# `make run` and the deployment collect into var/static; the browser tests collect into a folder of their own.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.middleware.RequestIdLogFilter"},
        "task_context": {"()": "core.logging.TaskContextFilter"},
        "redact_secrets": {"()": "core.logging.SecretRedactingFilter"},
    },
    "formatters": {
        "json": {
            "()": "core.logging.JsonFormatter",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "task_context", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # In-process (eager) tasks would log a "succeeded" line per task into the dev server's console.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}
