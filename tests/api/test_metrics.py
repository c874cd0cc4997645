"""Prometheus metrics on GET /metrics: refused without the token, and the named metrics after the events they
count (requests by URL pattern, report ingest by status, task runs and failures, webhook delivery failures, queue
depth, estimate age), with nothing personal in any label."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery import shared_task, signals
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from core import metrics
from queues.models import AlertDelivery
from queues.services.alerts import alert_delivery_attempt, alerts_evaluate
from tests.support.partner import (
    NOW,
    issue_key,
    publish_estimate,
    queue_of,
)
from tests.support.reports import report
from tests.support.signin import OTP_URL

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-" + "x" * 20


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape() -> str:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- The endpoint -------------------------------------------------------------------------------------------------
def test_without_a_token_setting_the_endpoint_does_not_exist(settings):
    settings.METRICS_TOKEN = ""

    response = Client().get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", "Bearer", f"Basic {TOKEN}"])
def test_without_the_right_bearer_token_it_is_401(header):
    headers = {"Authorization": header} if header is not None else {}

    response = Client().get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "kezek_" not in response.content.decode()


# --- Requests -----------------------------------------------------------------------------------------------------
def test_requests_are_counted_by_url_pattern_never_by_path(driver_client, outbox):
    before = sample(
        "kezek_http_requests_total", route="api/v1/crossings/<slug:slug>", method="GET", status="200"
    ) + sample("kezek_http_requests_total", route="api/v1/crossings/<slug>", method="GET", status="200")
    driver_client.get("/api/v1/crossings/zhaisan-sagarchin")
    Client().post(OTP_URL, {"phone": "+77015550177"}, content_type="application/json")
    Client().get("/api/v1/no-such/+77015550177")

    text = scrape()

    http_lines = [line for line in text.splitlines() if line.startswith("kezek_http_")]
    assert any('route="api/v1/auth/otp"' in line and 'status="202"' in line for line in http_lines), http_lines[:20]
    crossing_lines = [line for line in http_lines if "api/v1/crossings/<" in line and 'status="200"' in line]
    assert crossing_lines
    count = sum(float(line.rsplit(" ", 1)[1]) for line in crossing_lines if line.startswith("kezek_http_requests_"))
    assert count >= before + 1
    assert "kezek_http_request_duration_seconds_bucket" in text
    routes = set(re.findall(r'route="([^"]*)"', "\n".join(http_lines)))
    for route in routes:
        assert "zhaisan" not in route
        assert "77015550177" not in route
    assert "77015550177" not in text


# --- Report ingest ------------------------------------------------------------------------------------------------
def test_report_ingest_is_counted_by_status(driver_client):
    before = {status: sample("kezek_reports_ingested_total", status=status) for status in metrics_statuses()}
    first = report(kind="joined", position=20)
    batch = [first, {**report(), "kind": "nonsense"}]
    assert driver_client.post("/api/v1/reports", {"reports": batch}, format="json").status_code == 200
    resend = [first, {**first, "position": 21, "id": first["id"]}]
    driver_client.post("/api/v1/reports", {"reports": [resend[0]]}, format="json")
    driver_client.post("/api/v1/reports", {"reports": [resend[1]]}, format="json")

    text = scrape()

    after = {status: sample("kezek_reports_ingested_total", status=status) for status in metrics_statuses()}
    assert {status: after[status] - before[status] for status in after} == {
        "created": 1,
        "duplicate": 1,
        "conflict": 1,
        "rejected": 1,
    }
    assert 'kezek_reports_ingested_total{status="created"}' in text


def metrics_statuses() -> tuple[str, ...]:
    return ("created", "duplicate", "conflict", "rejected")


# --- Tasks --------------------------------------------------------------------------------------------------------
@shared_task(name="tests.metrics_boom")
def boom() -> None:
    raise RuntimeError("boom")


def test_task_runs_and_failures_are_counted_by_task():
    from queues.tasks.estimates import estimate_sweep

    runs = sample("kezek_task_runs_total", task="queues.estimate_sweep", outcome="success")
    failures = sample("kezek_task_runs_total", task="tests.metrics_boom", outcome="failure")

    estimate_sweep.apply()
    boom.apply(throw=False)

    assert sample("kezek_task_runs_total", task="queues.estimate_sweep", outcome="success") == runs + 1
    assert sample("kezek_task_runs_total", task="tests.metrics_boom", outcome="failure") == failures + 1
    text = scrape()
    assert 'kezek_task_runs_total{outcome="failure",task="tests.metrics_boom"}' in text
    assert 'kezek_task_duration_seconds_count{task="queues.estimate_sweep"}' in text


def test_task_lag_is_the_time_from_sent_or_due_to_start():
    class Task:
        name = "tests.metrics_lag"
        request = SimpleNamespace(is_eager=False, eta=None, kezek_sent_at=1000.0, headers=None)

    task = Task()
    count = sample("kezek_task_lag_seconds_count", task="tests.metrics_lag")

    signals.task_prerun.send(sender=task, task_id=str(uuid.uuid4()), task=task, args=(), kwargs={})

    assert sample("kezek_task_lag_seconds_count", task="tests.metrics_lag") == count + 1
    assert metrics.task_lag_seconds(sent_at=100.0, eta=None, started_at=103.5) == 3.5
    # A countdown: the lag runs from when the task was due, not from when it was sent.
    assert metrics.task_lag_seconds(sent_at=100.0, eta="1970-01-01T00:02:00+00:00", started_at=121.0) == 1.0
    assert metrics.task_lag_seconds(sent_at=None, eta=None, started_at=5.0) is None


def test_a_sent_task_carries_the_time_it_was_sent():
    headers: dict = {}

    signals.before_task_publish.send(sender="queues.estimate_sweep", headers=headers, body=None)

    assert abs(headers[metrics.SENT_AT_HEADER] - timezone.now().timestamp()) < 60


# --- Webhooks -----------------------------------------------------------------------------------------------------
def test_webhook_delivery_failures_are_counted(partner_key, receiver):
    from queues.models import AlertSubscription

    receiver.statuses = [500]
    subscription = AlertSubscription.objects.create(
        key=partner_key[0], queue=queue_of(), above_minutes=10, url=receiver.url, secret="whsec_test"
    )
    alerts_evaluate(queue_id=subscription.queue_id, estimate=publish_estimate(subscription.queue, wait=60), as_of=NOW)
    failed = sample("kezek_webhook_deliveries_total", outcome="failed")

    alert_delivery_attempt(delivery_id=str(AlertDelivery.objects.get().pk), as_of=NOW)

    assert sample("kezek_webhook_deliveries_total", outcome="failed") == failed + 1
    assert 'kezek_webhook_deliveries_total{outcome="failed"}' in scrape()


# --- Read when scraped --------------------------------------------------------------------------------------------
def test_estimate_age_is_exposed_per_queue():
    publish_estimate(queue_of("syrym-mashtakovo", "KZ-RU"), computed_at=timezone.now() - timedelta(minutes=5))

    text = scrape()

    (line,) = [line for line in text.splitlines() if line.startswith('kezek_estimate_age_seconds{queue="syrym')]
    assert 'queue="syrym-mashtakovo KZ-RU"' in line
    assert 295 <= float(line.rsplit(" ", 1)[1]) < 400


def test_queue_depth_is_read_from_the_redis_broker(settings, monkeypatch):
    import redis

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    lengths = {settings.CELERY_TASK_DEFAULT_QUEUE: 7}
    monkeypatch.setattr(
        redis.Redis, "from_url", classmethod(lambda cls, url, **kw: SimpleNamespace(llen=lambda name: lengths[name]))
    )

    text = scrape()

    assert f'kezek_celery_queue_length{{queue="{settings.CELERY_TASK_DEFAULT_QUEUE}"}} 7.0' in text


def test_a_broker_that_is_down_leaves_queue_depth_out_not_the_scrape(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    text = scrape()

    assert "# TYPE kezek_celery_queue_length gauge" in text
    assert "kezek_celery_queue_length{" not in text


def test_no_label_holds_personal_data(driver_client, driver, outbox):
    Client().post(OTP_URL, {"phone": "+77015550188"}, content_type="application/json")
    driver_client.get("/api/v1/me")
    _key, raw = issue_key()
    Client(headers={"X-API-Key": raw}).get("/api/partner/v1/crossings")

    text = scrape()

    labels = " ".join(re.findall(r"\{([^}]*)\}", text))
    for secret in ("77015550188", str(driver.phone)[1:], driver.name, raw, raw.split(".")[0]):
        assert secret not in labels
