"""Under a real gunicorn with two workers and PROMETHEUS_MULTIPROC_DIR: /metrics adds up every worker's counts."""

from __future__ import annotations

import re

import pytest

from tests.support.faults import AppServer, PrivateRedis, app_env, database_url

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOKEN = "metrics-" + "t" * 32


@pytest.fixture
def app(real_services, transactional_db, tmp_path):
    redis = PrivateRedis()
    redis.start()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = app_env(
        database_url=database_url(),
        redis_url=redis.url,
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        CONN_MAX_AGE="0",
    )
    server = AppServer("metrics", env, workers=2)
    server.start()
    yield server
    server.stop()
    redis.stop()


def test_every_workers_requests_are_counted_once(app):
    for _ in range(12):
        status, _, _ = app.request("GET", "/health/live")
        assert status == 200

    status, _, _ = app.request("GET", "/metrics")
    assert status == 401
    status, headers, text = app.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    (count,) = re.findall(r'kezek_http_requests_total\{method="GET",route="health/live",status="200"\} (\S+)', text)
    assert float(count) == 12
    assert "kezek_estimate_age_seconds" in text
    assert "kezek_celery_queue_length" in text
