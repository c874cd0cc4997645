"""PostgreSQL becomes unreachable under a running app (a proxy in front of it is cut): every API answers a
clean 503 problem+json, never a 500 trace, except a hot read whose credentials and answer are stored in the cache
(docs/caching.md), which keeps answering what it answered before; when the database is back the same processes
recover.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from queues.models import PartnerKey
from tests.factories import DriverFactory, token_for
from tests.support.faults import AppServer, PrivateRedis, TcpProxy, app_env, database_url, server_errors

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def proxy():
    parts = urlsplit(database_url())
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    yield proxy
    proxy.cut()


@pytest.fixture
def app(real_services, transactional_db, proxy):
    redis = PrivateRedis()
    redis.start()
    parts = urlsplit(database_url())
    through_proxy = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()
    # Persistent connections (CONN_MAX_AGE) are what must recover: the broken one is dropped, not reused.
    server = AppServer("db-down", app_env(database_url=through_proxy, redis_url=redis.url, CONN_MAX_AGE="300"))
    server.start()
    yield server
    server.stop()
    redis.stop()


def test_database_outage_answers_503_problem_json_and_recovers_without_restart(app, proxy):
    token = token_for(DriverFactory())
    _, partner_key = PartnerKey.objects.create_key(name="faults", firm="Faults Ltd")
    driver_read = ("GET", "/api/v1/me", {"Authorization": f"Token {token}"})
    driver_write = ("PATCH", "/api/v1/me", {"Authorization": f"Token {token}"})
    partner_read = ("GET", "/api/partner/v1/crossings", {"X-API-Key": partner_key})
    before = {}
    for method, path, headers in (driver_read, partner_read):
        status, _, body = app.request(method, path, headers=headers)
        assert status == 200, body
        before[path] = body

    proxy.cut()

    # The partner list was read before the cut: its key entry and stored answer are in Redis, so it still
    # answers, with the same body, without the database.
    status, _, body = app.request(partner_read[0], partner_read[1], headers=partner_read[2])
    assert status == 200, body
    assert body == before[partner_read[1]]
    for method, path, headers in (
        driver_read,
        driver_write,
        ("GET", "/api/partner/v1/crossings/no-such-crossing/estimate?direction=KZ-RU", partner_read[2]),
        ("GET", "/api/v1/crossings", driver_read[2]),
    ):
        body_in = {"name": "Asel"} if method == "PATCH" else None
        status, response_headers, body = app.request(method, path, body_in, headers=headers)
        assert status == 503, (path, body)
        assert response_headers["content-type"].startswith("application/problem+json"), path
        assert body["code"] == "service_unavailable", path
        assert "retry-after" in response_headers
    status, _, body = app.request("GET", "/health/ready")
    assert status == 503
    assert body["failed"] == ["database"]
    status, _, _ = app.request("GET", "/health/live")
    assert status == 200

    proxy.restore()

    for method, path, headers in (driver_read, partner_read):
        status, _, body = app.request(method, path, headers=headers)
        assert status == 200, (path, body)
    status, _, body = app.request("GET", "/health/ready")
    assert status == 200, body
    log = app.log()
    assert "Internal Server Error" not in log
    assert server_errors(log) == []
