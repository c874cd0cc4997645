"""Partner API keys: issuing (command, admin), authentication, last use, throttling, the schema and docs."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import cache as core_cache
from core.cache import ResilientRedisCache
from queues.api import partner_auth as partner_config
from queues.models import PartnerKey
from queues.services.partner_keys import partner_key_revoke
from tests.factories import UserFactory
from tests.support.partner import BASE, client_for, issue_key

pytestmark = pytest.mark.django_db

CROSSINGS = f"{BASE}/crossings"


def test_create_partner_key_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash():
    out = io.StringIO()

    call_command("create_partner_key", "Caspian Cargo", stdout=out)

    raw_key = out.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}", raw_key)
    key = PartnerKey.objects.get(firm="Caspian Cargo")
    assert key.prefix == raw_key.split(".")[0]
    assert raw_key not in key.hashed_key
    assert client_for(raw_key).get(CROSSINGS).status_code == 200


def test_create_partner_key_refuses_an_empty_firm():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("create_partner_key", "  ", stdout=io.StringIO())


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": ""}, {"X-API-Key": "nonsense"}, {"X-API-Key": "abcdefgh.0123456789abcdef0123456789abcdef"}],
    ids=["missing", "empty", "malformed", "unknown"],
)
def test_missing_or_wrong_key_is_401_problem_json(client, headers):
    response = client.get(CROSSINGS, headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert "WWW-Authenticate" in response


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused():
    key, raw = issue_key()
    forged = f"{key.prefix}.{'x' * 32}"

    assert client_for(forged).get(CROSSINGS).status_code == 401
    assert client_for(raw).get(CROSSINGS).status_code == 200


def test_revoked_key_is_refused():
    key, raw = issue_key()
    partner_key_revoke(key=key)

    response = client_for(raw).get(CROSSINGS)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expired_key_is_refused():
    _key, raw = issue_key(expiry_date=timezone.now() - timedelta(seconds=1))

    assert client_for(raw).get(CROSSINGS).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute():
    key, raw = issue_key()
    client = client_for(raw)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        client.get(CROSSINGS)
    with time_machine.travel(start + timedelta(seconds=30), tick=False), CaptureQueriesContext(connection) as queries:
        client.get(CROSSINGS)
    within_the_minute = PartnerKey.objects.get(pk=key.pk).last_used_at
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(CROSSINGS)
    after_the_minute = PartnerKey.objects.get(pk=key.pk).last_used_at

    assert within_the_minute == start
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert after_the_minute == start + timedelta(seconds=61)


def test_a_firm_name_too_long_for_a_key_is_refused():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("create_partner_key", "F" * 201, stdout=io.StringIO())


def test_throttled_key_gets_429_with_retry_after(settings, partner_client):
    settings.PARTNER_THROTTLE_RATE = "3/minute"

    statuses = [partner_client.get(CROSSINGS).status_code for _ in range(4)]
    response = partner_client.get(CROSSINGS)

    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_throttle_counts_each_key_separately(settings, partner_client):
    settings.PARTNER_THROTTLE_RATE = "1/minute"
    other = client_for(issue_key("Other Firm")[1])

    assert partner_client.get(CROSSINGS).status_code == 200
    assert partner_client.get(CROSSINGS).status_code == 429
    assert other.get(CROSSINGS).status_code == 200


def test_throttle_fails_open_when_the_cache_is_down(settings, monkeypatch, partner_client):
    settings.PARTNER_THROTTLE_RATE = "1/minute"
    dead_cache = ResilientRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    monkeypatch.setattr(core_cache, "cache", dead_cache)  # the counters, and where the partner auth reads

    statuses = [partner_client.get(CROSSINGS).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_openapi_schema_documents_auth_operations_and_problem_responses(client):
    response = client.get(f"{BASE}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1.0.0"
    assert {"/api/partner/v1/crossings", "/api/partner/v1/alerts"} <= set(schema["paths"])
    scheme = next(iter(schema["components"]["securitySchemes"].values()))
    assert scheme == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    estimate = schema["paths"]["/api/partner/v1/crossings/{slug}/estimate"]["get"]
    assert estimate["description"]
    for status in ("401", "404", "429"):
        assert "application/problem+json" in estimate["responses"][status]["content"]


def test_interactive_docs_are_served(client):
    response = client.get(f"{BASE}/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_unknown_partner_path_is_problem_json_404(partner_client):
    response = partner_client.get(f"{BASE}/nowhere")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_problem_json_405(partner_client):
    response = partner_client.put(CROSSINGS, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


def test_unexpected_error_is_a_logged_problem_json_500(monkeypatch, partner_client, caplog):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("queues.selectors.partner.partner_crossing_page", explode)

    response = partner_client.get(CROSSINGS)

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "boom" not in response.content.decode()
    assert any("unexpected error" in record.getMessage() for record in caplog.records)


def test_superuser_issues_a_key_in_the_admin_and_sees_it_once(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    response = client.post(
        "/admin/queues/partnerkey/add/", {"firm": "Altyn Cargo", "name": "", "expiry_date": ""}, follow=True
    )

    assert response.status_code == 200
    key = PartnerKey.objects.get(firm="Altyn Cargo")
    assert key.name == "Altyn Cargo"
    shown = re.search(rf"{key.prefix}\.[A-Za-z0-9]{{32}}", response.content.decode())
    assert shown is not None
    assert client_for(shown.group(0)).get(CROSSINGS).status_code == 200
    listing = client.get("/admin/queues/partnerkey/").content.decode()
    assert shown.group(0) not in listing


def test_dispatchers_do_not_see_partner_keys_in_the_admin(client, dispatcher):
    client.force_login(dispatcher.user)

    assert client.get("/admin/queues/partnerkey/").status_code == 403


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("600/minute", (600, 60)), ("10/s", (10, 1)), ("100/5m", (100, 300)), ("5000/day", (5000, 86400))],
)
def test_throttle_rates_are_read_like_drf_rates(rate, expected):
    assert partner_config.parse_rate(rate) == expected


def test_a_misconfigured_rate_turns_throttling_off_instead_of_failing(settings, partner_client):
    settings.PARTNER_THROTTLE_RATE = "lots/fortnight"

    assert partner_client.get(CROSSINGS).status_code == 200


def test_an_unreachable_database_is_503_with_retry_after(monkeypatch, partner_client):
    from django.db import OperationalError

    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("queues.selectors.partner.partner_crossing_page", unreachable)

    response = partner_client.get(CROSSINGS)

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"]
