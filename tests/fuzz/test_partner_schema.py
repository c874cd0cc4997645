"""Schemathesis drives every partner operation from the OpenAPI schema: whatever it sends, no 5xx, and
every error is problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from queues import webhooks
from tests.support.partner import BASE, issue_key, publish_estimate, queue_of

pytestmark = pytest.mark.django_db

# The schema endpoint needs no database; the generated calls go through WSGI in this process, on the test DB.
schema = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """As Django's test client does: a request through the WSGI handler must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx(case, settings, monkeypatch):
    settings.PARTNER_THROTTLE_RATE = "100000/minute"
    monkeypatch.setattr(webhooks, "resolve_host", lambda host, port: ["93.184.216.34"])  # no real DNS
    _key, raw = issue_key("Fuzz Freight")
    publish_estimate(queue_of())

    response = case.call(headers={"X-API-Key": raw})

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        headers = {name.lower(): value for name, value in response.headers.items()}
        content_type = headers["content-type"]
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (response.status_code, response.text)
