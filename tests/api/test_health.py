"""GET /health/live and /health/ready."""

import pytest

from core import health


def test_live_answers_ok_without_the_database(client):
    # No django_db mark: any database access in this test would raise.
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_answers_200_when_everything_answers(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}


@pytest.mark.django_db
def test_ready_answers_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setattr(health, "_check_database", lambda: "OperationalError")

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert "database" in body["failed"]
    assert "database" in body["detail"]


@pytest.mark.django_db
def test_ready_names_the_cache_and_broker_when_redis_is_down(client, monkeypatch, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(health, "_check_redis", lambda: "ConnectionError")

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert set(response.json()["failed"]) == {"cache", "broker"}


def test_api_answers_carry_a_strict_content_security_policy_and_a_request_id(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="edge-42")

    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"] == "edge-42"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_interactive_docs_are_not_blocked_by_the_api_policy(client):
    response = client.get("/api/partner/v1/docs")

    assert "script-src 'self'" in response["Content-Security-Policy"]  # the docs policy, not default-src 'none' alone
