"""Under a real gunicorn on loopback: a partner key sent in a query string is refused and never written to the
access log or the app's request logs."""

from __future__ import annotations

import time

import pytest

from tests.support.faults import AppServer, PrivateRedis, app_env, database_url

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120), pytest.mark.django_db(transaction=True)]

KEY = "AbCdEfGh.0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def app():
    redis = PrivateRedis()
    redis.start()
    server = AppServer("access-log", app_env(database_url=database_url(), redis_url=redis.url, GUNICORN_ACCESSLOG="-"))
    server.start()
    yield server
    server.stop()
    redis.stop()


@pytest.mark.parametrize("name", ["api_key", "key", "X-API-Key", "token"])
def test_a_key_in_a_query_string_never_reaches_the_access_log(app, name):
    status, _headers, _body = app.request("GET", f"/api/partner/v1/crossings?{name}={KEY}&limit=5")
    status_missing, _, _ = app.request("GET", f"/api/v1/no-such-path?{name}={KEY}")
    time.sleep(0.5)  # the access log line is written after the answer

    log = app.log()
    assert status == 401
    assert status_missing == 404
    assert "/api/partner/v1/crossings?" in log  # the line is there
    assert KEY not in log
    assert KEY.split(".")[1] not in log
