"""Optional error reports to Sentry: started by the settings only when ``SENTRY_DSN`` is set.

Nothing personal is sent: ``send_default_pii`` is off (no user, no client address, no cookies), request bodies are
never attached, and every event passes through :func:`core.logging.redact` before it leaves (a token or key in a
URL or message is replaced by ``[redacted]``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from core.logging import redact


def event_redact(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send``: the event with credentials redacted wherever they appear in its text."""
    return json.loads(redact(json.dumps(event, default=str)))


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options: Any) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as exc:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install '.[sentry]'"
        ) from exc
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=event_redact,  # type: ignore[arg-type]  # an Event is a dict
        **options,
    )
