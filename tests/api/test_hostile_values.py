"""Values no client should send answer a 4xx problem+json, never a 5xx, and never cost the good items of a batch:
NUL characters (PostgreSQL text cannot hold them), a number too large for a float, thousands of query fields,
dates at the ends of the calendar. Run on PostgreSQL too (``DATABASE_URL``), where a NUL reaching a query fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from queues.models import AlertSubscription, Report
from tests.support.partner import BASE
from tests.support.reports import report
from tests.support.signin import PROBLEM

pytestmark = pytest.mark.django_db

HUGE = json.loads("1" + "0" * 400)  # a valid JSON number, too large for a float


def assert_validation_problem(response, field: str | None = None) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    if field is not None:
        assert field in body["errors"], body


# --- NUL ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{BASE}/crossings/syrym%00/estimate?direction=KZ-RU", "path"),
        (f"{BASE}/crossings/syrym-mashtakovo%00/history", "path"),
        (f"{BASE}/crossings/syrym-mashtakovo/estimate?direction=KZ-RU%00", "direction"),
        (f"{BASE}/alerts?cursor=%00", "cursor"),
    ],
)
def test_a_nul_in_a_partner_slug_or_query_is_400(partner_client, url, field):
    assert_validation_problem(partner_client.get(url), field)


@pytest.mark.parametrize("field", ["crossing", "url", "direction"])
def test_a_nul_in_an_alert_field_is_400_and_stores_nothing(partner_client, field):
    body = {"crossing": "syrym-mashtakovo", "direction": "KZ-RU", "above_minutes": 60, "url": "https://a.example/"}
    body[field] += "\x00"

    response = partner_client.post(f"{BASE}/alerts", body, content_type="application/json")

    assert_validation_problem(response, field)
    assert not AlertSubscription.objects.exists()


def test_an_escaped_backslash_before_u0000_is_text_not_nul(partner_client):
    body = {"crossing": "syrym-mashtakovo\\u0000", "direction": "KZ-RU", "above_minutes": 60, "url": "https://x/"}

    response = partner_client.post(f"{BASE}/alerts", body, content_type="application/json")

    assert "Null characters" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/crossings?cursor=%00", "/api/v1/stays?on=2026-01-01%00", "/api/v1/crossings/zhaisan-sagarchin?at=%00"],
)
def test_a_nul_in_a_driver_query_is_400(driver_client, url):
    assert_validation_problem(driver_client.get(url))


@pytest.mark.parametrize("body", [{"name": "Ai\x00dos"}, {"vehicle_plate": "KZ\x00"}])
def test_a_nul_in_a_driver_field_is_400(driver_client, body):
    assert_validation_problem(driver_client.patch("/api/v1/me", body, format="json"))


def test_a_nul_in_one_report_rejects_that_item_alone(driver_client):
    good, bad = report(position=10), report(position=11, crossing="zhaisan\x00")

    response = driver_client.post("/api/v1/reports", {"reports": [good, bad]}, format="json")

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["results"]] == ["created", "rejected"]
    assert list(Report.objects.values_list("id", flat=True).order_by()) != []


# --- Numbers too large for a float --------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["lat", "lon", "position", "waited_minutes"])
def test_a_huge_number_rejects_its_item_and_the_good_one_is_stored(driver_client, field):
    good = report(position=10)
    bad = report(position=11, lat=43.2, lon=51.9)
    bad[field] = HUGE

    response = driver_client.post("/api/v1/reports", {"reports": [good, bad]}, format="json")

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [item["status"] for item in results] == ["created", "rejected"]
    assert field in results[1]["errors"]
    assert Report.objects.filter(pk=good["id"]).exists()


def test_a_huge_number_in_a_resent_report_is_still_refused_alike(driver_client):
    stored = report(position=10)
    driver_client.post("/api/v1/reports", {"reports": [stored]}, format="json")

    response = driver_client.post("/api/v1/reports", {"reports": [{**stored, "lat": HUGE, "lon": 1}]}, format="json")

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] in ("conflict", "rejected")


# --- Too many query fields ----------------------------------------------------------------------------------------
def test_thousands_of_query_fields_on_the_partner_estimate_are_a_problem_400(partner_client):
    query = "&".join(f"f{index}=1" for index in range(2100))

    response = partner_client.get(f"{BASE}/crossings/syrym-mashtakovo/estimate?direction=KZ-RU&{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "malformed_request"


def test_thousands_of_query_fields_on_the_driver_api_are_a_problem_400(driver_client):
    query = "&".join(f"f{index}=1" for index in range(2100))

    response = driver_client.get(f"/api/v1/crossings?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


# --- Dates at the ends of the calendar ----------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30"])
def test_a_stay_event_at_the_ends_of_the_calendar_is_400(driver_client, day):
    body = {"country": "RU", "kind": "entry", "date": day}

    assert_validation_problem(driver_client.post("/api/v1/stays/events", body, format="json"), "date")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("url", ["/api/v1/stays", "/api/v1/stays/plan"])
def test_a_stay_reading_at_the_ends_of_the_calendar_is_not_a_5xx(driver_client, url, day):
    response = driver_client.get(url, {"on": day})

    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM


def test_a_report_observed_at_the_ends_of_the_calendar_is_rejected_alone(driver_client):
    good = report(position=10)
    early = report(position=11, observed_at="0001-01-01T00:00:00+23:59")
    late = report(position=12, observed_at="9999-12-31T23:59:59-23:59")

    response = driver_client.post("/api/v1/reports", {"reports": [good, early, late]}, format="json")

    assert [item["status"] for item in response.json()["results"]] == ["created", "rejected", "rejected"]


def test_a_good_item_and_a_time_in_range_still_store(driver_client):
    item = report(position=10, observed_at=datetime.now(tz=UTC) - timedelta(minutes=3))

    response = driver_client.post("/api/v1/reports", {"reports": [item]}, format="json")

    assert response.json()["results"][0]["status"] == "created"
