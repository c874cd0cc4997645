"""Structured (JSON) log lines carrying the request id (web) or the task id (Celery), with secrets redacted.

Tokens, one-time codes and API keys never reach a log line: :class:`SecretRedactingFilter` rewrites the
message (and the formatter the traceback) before anything is written.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

REDACTED = "[redacted]"

_VALUE = r"""(?:(?:token|bearer|basic|api-key)\s+)?[^\s"',;}&]+"""
_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Header dumps: "Authorization: Token abc", "HTTP_AUTHORIZATION': 'Token abc", "X-API-Key=abc".
    re.compile(rf"""((?:authorization|x[-_]api[-_]key|api[-_]key)["']?\s*[:=]\s*["']?){_VALUE}""", re.IGNORECASE),
    # Body fields: "code": "123456", token=abc, 'password': 'x', "secret": "...", "key": "...".
    re.compile(
        rf"""(\b(?:code|otp|password|token|secret|key)["']?\s*[:=]\s*["']?){_VALUE}""",
        re.IGNORECASE,
    ),
    # A partner key on its own: "<8 chars prefix>.<32 chars secret>" (djangorestframework-api-key).
    re.compile(r"\b()[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}\b"),
)


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[redacted]``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class SecretRedactingFilter(logging.Filter):
    """Renders the message once and redacts it; args are dropped so nothing unredacted is formatted later."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        return True


class TaskContextFilter(logging.Filter):
    """Adds the running Celery task's id and name (if any) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            from celery import current_task
        except ImportError:  # pragma: no cover - celery is a dependency
            return True
        task = current_task
        request = getattr(task, "request", None) if task else None
        task_id = getattr(request, "id", None) if request else None
        if task_id:
            record.task_id = task_id
            record.task_name = task.name
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "at": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in (
            "task_id",
            "task_name",
            "task",
            "queue_id",
            "driver_id",
            "carrier_id",
            "notification_id",
            "audience",
            "status_code",
        ):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_celery_logging(**kwargs) -> None:
    """Receiver of Celery's ``setup_logging``: workers and beat log through Django's LOGGING (JSON, redacted)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
