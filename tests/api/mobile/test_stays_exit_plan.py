"""GET /api/v1/stays carries `exit_plan` (when to join which exit queue); GET /api/v1/stays/plan counts the exit
queue's days with `exit_crossing`."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.utils import timezone

from stays import services as stay_services
from tests.support.partner import NOW, isolate_cache, publish_estimate, queue_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    with time_machine.travel(NOW, tick=False):
        yield


def _in_russia_since(driver, on: date) -> None:
    stay_services.stay_event_record(
        driver=driver, country="RU", kind="entry", date=on, crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip


def _russia(response) -> dict:
    assert response.status_code == 200, response.content
    (russia,) = [item for item in response.json()["countries"] if item["country"] == "RU"]
    return russia


def test_a_driver_on_their_last_day_is_told_when_to_join_each_exit_queue(driver_client, driver):
    _in_russia_since(driver, date(2026, 8, 24))
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    russia = _russia(driver_client.get("/api/v1/stays"))

    assert russia["latest_exit"] == "2026-11-21"
    (item,) = russia["exit_plan"]
    assert item["crossing"] == "taskala-ozinki"
    assert item["direction"] == "RU-KZ"
    assert item["in_time"] is True
    join_by = datetime.fromisoformat(item["join_by"].replace("Z", "+00:00"))
    assert NOW <= join_by <= datetime.fromisoformat("2026-11-21T20:00:00+00:00")  # the end of the day in Saratov
    assert item["high_minutes"] >= item["wait_minutes"]


def test_with_no_estimate_at_any_exit_the_exit_plan_is_empty(driver_client, driver):
    _in_russia_since(driver, date(2026, 8, 24))

    assert _russia(driver_client.get("/api/v1/stays"))["exit_plan"] == []


def test_out_of_the_country_there_is_no_exit_plan(driver_client, driver):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)
    _in_russia_since(driver, date(2026, 8, 24))
    stay_services.stay_event_record(
        driver=driver, country="RU", kind="exit", date=date(2026, 9, 1), crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip

    assert "exit_plan" not in _russia(driver_client.get("/api/v1/stays"))


def test_a_driver_without_a_stay_rule_gets_no_exit_plan(driver_client, driver):
    driver.citizenship = ""
    driver.save()
    _in_russia_since(driver, date(2026, 8, 24))
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    body = driver_client.get("/api/v1/stays").json()

    assert all("exit_plan" not in item for item in body["countries"])


def test_a_plan_counts_the_exit_queue_days_of_the_crossing_left_by(driver_client):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=2000, computed_at=NOW)  # over a day

    query = {"country": "RU", "entry": "2026-12-01", "days": 90}
    plain = driver_client.get("/api/v1/stays/plan", query).json()
    with_queue = driver_client.get("/api/v1/stays/plan", {**query, "exit_crossing": "taskala-ozinki"}).json()

    assert plain["allowed"] is True
    assert "queue_days" not in plain
    assert with_queue["queue_days"] >= 1
    assert with_queue["allowed"] is False  # 90 days plus the queue's is over the 90-day limit
    assert with_queue["days"] == 90
    assert with_queue["max_days"] == 90 - with_queue["queue_days"]


def test_a_plan_over_all_exit_crossings_takes_the_best_and_none_known_counts_nothing(driver_client):
    query = {"country": "RU", "entry": "2026-12-01", "days": 90, "exit_crossing": "all"}

    assert driver_client.get("/api/v1/stays/plan", query).json()["queue_days"] == 0
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=2000, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=60, computed_at=NOW)
    assert driver_client.get("/api/v1/stays/plan", query).json()["queue_days"] == 0


def test_an_unknown_exit_crossing_is_refused(driver_client):
    response = driver_client.get(
        "/api/v1/stays/plan", {"country": "RU", "entry": "2026-12-01", "days": 9, "exit_crossing": "nowhere"}
    )

    assert response.status_code == 400
    assert "exit_crossing" in response.json()["errors"]
