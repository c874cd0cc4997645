"""GET /api/v1/routes and GET /api/partner/v1/routes: the crossings of a border ranked by when a truck leaving a
point would be through."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from queues.domain.forecast import Closure, QueueSchedule
from queues.selectors import forecast as forecast_reads
from stays import services as stay_services
from tests.support.partner import (
    BASE,
    NOW,
    isolate_cache,
    publish_estimate,
    queue_of,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/routes"
NEAR_OZINKI = {"direction": "RU-KZ", "lat": 51.2, "lon": 50.0}  # on the Russian side, 20 km from Taskala–Ozinki


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def two_waits():
    """Ozinki, the nearest, has a ten-hour queue; Mashtakovo, 90 km on, a one-hour one."""
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=600, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=60, computed_at=NOW)


@pytest.fixture(params=["driver", "partner"])
def ask(request, driver_client, partner_client):
    def call(query):
        if request.param == "driver":
            return driver_client.get(URL, query)
        return partner_client.get(f"{BASE}/routes", query)

    return call


def _slugs(response) -> list[str]:
    return [item["crossing"] for item in response.json()["results"]]


def test_the_crossing_through_first_leads_not_the_nearest(ask, two_waits):
    response = ask(NEAR_OZINKI)

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert _slugs(response)[:2] == ["syrym-mashtakovo", "taskala-ozinki"]
    first, second = results[0], results[1]
    assert second["distance_km"] < first["distance_km"]
    assert first["wait_minutes"] == 60
    assert first["through_at"] < second["through_at"]
    assert all(item["direction"] == "RU-KZ" for item in results)
    # Every crossing of the border is listed; those without an estimate after, nearest first.
    unknown = [item for item in results if item["wait_minutes"] is None]
    assert len(unknown) == len(results) - 2
    assert [item["distance_km"] for item in unknown] == sorted(item["distance_km"] for item in unknown)


def test_drive_time_is_road_distance_at_truck_speed(ask, two_waits, settings):
    settings.ROUTE_ROAD_FACTOR = 1.0
    settings.ROUTE_TRUCK_SPEED_KMH = 50.0

    (ozinki,) = [item for item in ask(NEAR_OZINKI).json()["results"] if item["crossing"] == "taskala-ozinki"]

    # From (51.2, 50.0) to (51.1075, 50.292778): 10.3 km north–south, 20.4 km east–west, 22.9 km.
    assert ozinki["distance_km"] == pytest.approx(22.9, abs=0.1)
    assert ozinki["drive_minutes"] == round(ozinki["distance_km"] / 50 * 60)


def test_with_no_estimate_at_any_crossing_the_nearest_leads(ask):
    response = ask(NEAR_OZINKI)

    results = response.json()["results"]
    assert response.status_code == 200
    assert results[0]["crossing"] == "taskala-ozinki"
    assert all(item["wait_minutes"] is None and item["through_at"] is None for item in results)


def test_a_crossing_closed_at_arrival_falls_behind(ask, two_waits, monkeypatch):
    closure = Closure(starts_at=NOW, ends_at=NOW + timedelta(hours=20), reason="repairs")

    def schedule(queue):
        closures = (closure,) if queue.crossing.slug == "syrym-mashtakovo" else ()
        return QueueSchedule(time_zone="Europe/Samara", closures=closures)

    monkeypatch.setattr(forecast_reads, "queue_schedule", schedule)

    response = ask(NEAR_OZINKI)

    assert _slugs(response)[:2] == ["taskala-ozinki", "syrym-mashtakovo"]
    assert response.json()["results"][1]["open_at_arrival"] is False


def test_a_crossing_whose_quota_is_spent_at_arrival_falls_behind(ask, two_waits, monkeypatch):
    def schedule(queue):
        quota = 50 if queue.crossing.slug == "syrym-mashtakovo" else None
        return QueueSchedule(time_zone="Europe/Samara", daily_quota=quota)

    monkeypatch.setattr(forecast_reads, "queue_schedule", schedule)

    response = ask(NEAR_OZINKI)

    assert _slugs(response)[:2] == ["taskala-ozinki", "syrym-mashtakovo"]
    assert response.json()["results"][1]["quota_spent_at_arrival"] is True


def test_the_partner_answer_has_no_driver_field(partner_client, two_waits):
    results = partner_client.get(f"{BASE}/routes", NEAR_OZINKI).json()["results"]

    assert all("in_time" not in item for item in results)


def _entered_russia(driver, on: date) -> None:
    stay_services.stay_event_record(
        driver=driver, country="RU", kind="entry", date=on, crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip


def test_a_driver_on_their_last_day_sees_which_crossing_gets_them_out_in_time(driver_client, driver, two_waits):
    _entered_russia(driver, date(2026, 8, 24))  # the 90th day of the year in Russia is today, 21 November

    results = {item["crossing"]: item for item in driver_client.get(URL, NEAR_OZINKI).json()["results"]}

    # Through by the end of the day in Samara time (20:00 UTC): the one-hour queue yes, the ten-hour one no.
    assert results["syrym-mashtakovo"]["in_time"] is True
    assert results["taskala-ozinki"]["in_time"] is False
    assert results["aksai-ilek"]["in_time"] is None  # no estimate: nobody can say


def test_a_driver_with_days_to_spare_is_in_time_everywhere_known(driver_client, driver, two_waits):
    _entered_russia(driver, date(2026, 11, 1))

    results = driver_client.get(URL, NEAR_OZINKI).json()["results"]

    assert {item["in_time"] for item in results if item["wait_minutes"] is not None} == {True}


def test_a_driver_without_a_stay_rule_gets_no_verdict(driver_client, driver, two_waits):
    driver.citizenship = ""
    driver.save()
    _entered_russia(driver, date(2026, 8, 24))

    results = driver_client.get(URL, NEAR_OZINKI).json()["results"]

    assert {item["in_time"] for item in results} == {None}


@pytest.mark.parametrize(
    "query",
    [
        {"direction": "RU-KZ", "lat": 95, "lon": 50},
        {"direction": "RU-KZ", "lat": 51},
        {"direction": "RUKZ", "lat": 51, "lon": 50},
        {"direction": "US-CA", "lat": 51, "lon": 50},
        {**NEAR_OZINKI, "depart_at": (NOW + timedelta(hours=80)).isoformat()},
    ],
)
def test_a_bad_query_is_refused(ask, query):
    response = ask(query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_without_credentials_the_answer_is_401(api_client, client):
    assert api_client.get(URL, NEAR_OZINKI).status_code == 401
    assert client.get(f"{BASE}/routes", NEAR_OZINKI).status_code == 401
