"""GET /api/v1/stays/plan?country=RU&entry=YYYY-MM-DD&days=N: the contract's <plan>."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from stays import services

URL = "/api/v1/stays/plan"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_days_in_russia(driver):
    with time_machine.travel("2025-06-01T10:00:00Z", tick=False):
        for kind, on in (("entry", date(2025, 1, 1)), ("exit", date(2025, 3, 1))):
            services.stay_event_record(
                driver=driver, country="RU", kind=kind, date=on, crossing=None, source="driver", actor=None,
                as_of=timezone.now(),
            )  # fmt: skip
        yield


@pytest.mark.usefixtures("sixty_days_in_russia")
def test_a_stay_within_the_days_left_is_allowed(driver_client):
    response = driver_client.get(URL, {"country": "RU", "entry": "2025-06-10", "days": 30})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "country": "RU",
        "entry": "2025-06-10",
        "days": 30,
        "allowed": True,
        "max_days": 30,
        "earliest_entry": "2025-06-10",
        "rule_missing": None,
        "assumes_exit_on": None,
    }


def test_a_driver_still_in_the_country_planning_a_later_entry_is_told_the_plan_assumes_leaving_today(
    driver, driver_client
):
    with time_machine.travel("2026-01-20T10:00:00Z", tick=False):
        services.stay_event_record(
            driver=driver, country="RU", kind="entry", date=date(2025, 11, 1), crossing=None, source="driver",
            actor=None, as_of=timezone.now(),
        )  # fmt: skip
        body = driver_client.get(URL, {"country": "RU", "entry": "2026-03-01", "days": 30}).json()

    assert (body["allowed"], body["max_days"], body["earliest_entry"]) == (True, 70, "2026-03-01")
    assert body["assumes_exit_on"] == "2026-01-20"


@pytest.mark.usefixtures("sixty_days_in_russia")
def test_a_longer_stay_gets_the_earliest_entry_that_allows_it(driver_client):
    body = driver_client.get(URL, {"country": "ru", "entry": "2025-06-10", "days": 31}).json()

    assert (body["allowed"], body["max_days"], body["earliest_entry"]) == (False, 30, "2025-12-02")


@pytest.mark.usefixtures("sixty_days_in_russia")
def test_a_stay_longer_than_any_continuous_stay_has_no_earliest_entry(driver_client):
    body = driver_client.get(URL, {"country": "RU", "entry": "2025-06-10", "days": 91}).json()

    assert (body["allowed"], body["earliest_entry"]) == (False, None)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"entry": "2025-06-10", "days": 5}, ["country"]),
        ({"country": "ZZ", "entry": "2025-06-10", "days": 5}, ["country"]),
        ({"country": "RU", "days": 5}, ["entry"]),
        ({"country": "RU", "entry": "2025-02-30", "days": 5}, ["entry"]),
        ({"country": "RU", "entry": "2025-06-10", "days": 0}, ["days"]),
        ({"country": "RU", "entry": "2025-06-10", "days": 366}, ["days"]),
        ({"country": "RU", "entry": "2025-06-10", "days": "many"}, ["days"]),
        ({}, ["country", "days", "entry"]),
    ],
)
def test_each_bad_parameter_is_refused_by_name(driver_client, query, fields):
    response = driver_client.get(URL, query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert sorted(response.json()["errors"]) == fields


def test_without_a_token_the_answer_is_401(api_client):
    assert api_client.get(URL, {"country": "RU", "entry": "2025-06-10", "days": 5}).status_code == 401


@pytest.mark.parametrize("entry", ["0001-01-01", "9999-12-31"])
def test_an_entry_outside_2000_to_2100_is_a_client_mistake(driver_client, entry):
    response = driver_client.get(URL, {"country": "RU", "entry": entry, "days": 30})

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "entry" in response.json()["errors"]
