"""Redis goes down under a running app: sign-in and ingest keep working, readiness names what failed,
and the estimates catch up once Redis is back (the sweep redoes what the lost refresh tasks would have done).
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from queues.models import Estimate, Queue
from tests.factories import DriverFactory, token_for
from tests.support.faults import (
    PROJECT_DIR,
    AppServer,
    PrivateRedis,
    Worker,
    app_env,
    database_url,
    server_errors,
)
from tests.support.live import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CROSSING, DIRECTION = "taskala-ozinki", "KZ-RU"


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(real_services, transactional_db, redis_server, tmp_path):
    env = app_env(database_url=database_url(), redis_url=redis_server.url, SMS_BACKEND="file")
    env["SMS_FILE_PATH"] = str(tmp_path / "sms")
    server = AppServer("redis-down", env)
    server.start()
    yield server
    server.stop()


def visit(start, *, crossed: bool = True) -> list[dict]:
    reports = [
        {
            "id": str(uuid.uuid4()),
            "crossing": CROSSING,
            "direction": DIRECTION,
            "kind": "joined",
            "observed_at": start.isoformat(),
            "position": 30,
        },
    ]
    for step in range(1, 5):
        reports.append(
            {
                "id": str(uuid.uuid4()),
                "crossing": CROSSING,
                "direction": DIRECTION,
                "kind": "position",
                "observed_at": (start + timedelta(minutes=15 * step)).isoformat(),
                "position": 30 - 6 * step,
            }
        )
    if crossed:
        reports.append(
            {
                "id": str(uuid.uuid4()),
                "crossing": CROSSING,
                "direction": DIRECTION,
                "kind": "crossed",
                "observed_at": (start + timedelta(minutes=80)).isoformat(),
            }
        )
    return reports


def sign_in(app: AppServer, sms_dir, phone: str) -> str:
    status, _, body = app.request("POST", "/api/v1/auth/otp", {"phone": phone})
    assert status == 202, body
    texts = [path.read_text() for path in sorted(sms_dir.glob("*"))]
    code = next(match.group(0) for text in reversed(texts) if (match := re.search(r"\d{4,8}", text)))
    status, _, body = app.request("POST", "/api/v1/auth/token", {"phone": phone, "code": code, "device": "phone"})
    assert status == 201, body
    return body["token"]


def test_with_redis_down_sign_in_and_ingest_work_readiness_names_redis_and_estimates_catch_up(
    app, redis_server, tmp_path
):
    queue = Queue.objects.get(crossing__slug=CROSSING, from_country="KZ", to_country="RU")
    tokens = [token_for(DriverFactory()), token_for(DriverFactory())]
    status, _, body = app.request("GET", "/health/ready")
    assert status == 200, body

    redis_server.stop()

    tokens.append(sign_in(app, tmp_path / "sms", "+77019876543"))
    start = timezone.now() - timedelta(hours=3)
    for index, token in enumerate(tokens):
        status, _, body = app.request(
            "POST",
            "/api/v1/reports",
            {"reports": visit(start + timedelta(minutes=10 * index))},
            {"Authorization": f"Token {token}"},
        )
        assert status == 200, body
        assert {item["status"] for item in body["results"]} == {"created"}
    status, headers, body = app.request("GET", "/health/ready")
    assert status == 503
    assert headers["content-type"].startswith("application/problem+json")
    assert {"cache", "broker"} <= set(body["failed"])
    assert "database" not in body["failed"]
    assert not Estimate.objects.filter(queue=queue, published=True).exists()  # the refresh could not be sent

    redis_server.start()
    env = app_env(database_url=database_url(), redis_url=redis_server.url, CONN_MAX_AGE="0")
    worker = Worker("redis-back", env)
    worker.start()
    try:
        # What beat does every minute: the sweep finds the queue whose reports were never estimated.
        subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "call", "queues.estimate_sweep"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        estimate = wait_for(lambda: Estimate.objects.filter(queue=queue, published=True).first(), timeout=60)
    finally:
        worker.stop()
    assert estimate.drivers == 3
    status, _, body = app.request("GET", "/health/ready")
    assert status == 200, body
    log = app.log()
    assert "Internal Server Error" not in log  # no request failed with a 500 while Redis was down
    assert server_errors(log) == []
