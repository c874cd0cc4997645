"""GET /api/v1/stays?on=YYYY-MM-DD: the contract's <stay status>."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from stays import services
from stays.models import StayRule

URL = "/api/v1/stays"

pytestmark = pytest.mark.django_db


def record(driver, country, kind, on):
    return services.stay_event_record(
        driver=driver, country=country, kind=kind, date=on, crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip


def test_status_on_a_date_counts_days_inclusively(driver_client, driver):
    record(driver, "RU", "entry", date(2025, 11, 15))

    response = driver_client.get(URL, {"on": "2026-02-12"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["on"] == "2026-02-12"
    [russia] = body["countries"]
    assert russia == {
        "country": "RU",
        "rule": {
            "limit_days": 90,
            "window": "calendar_year",
            "window_days": None,
            "source": StayRule.objects.get(limit_days=90, window="calendar_year", active=True).source,
        },
        "rule_missing": None,
        "in_country": True,
        "days_used": 43,
        "days_left": 0,
        "window_start": "2026-01-01",
        "window_end": "2026-12-31",
        "latest_exit": "2026-02-12",
        "overstay_days": 0,
        "risk": "high",
        "risk_reasons": ["days_left_at_high_threshold"],
        "registry": {"status": "unknown", "checked_on": None},
    }


def test_status_defaults_to_today_in_the_country_the_driver_is_in(driver_client, driver):
    with time_machine.travel("2025-06-01T23:30:00Z", tick=False):  # 02:30 on 2 June in Moscow
        record(driver, "RU", "entry", date(2025, 5, 1))
        body = driver_client.get(URL).json()

    assert body["on"] == "2025-06-02"
    assert body["countries"][0]["days_used"] == 33


def test_rolling_rule_answers_its_window_length(driver_client):
    body = driver_client.get(URL, {"on": "2024-06-01"}).json()

    assert body["countries"][0]["rule"]["window"] == "rolling"
    assert body["countries"][0]["rule"]["window_days"] == 180
    assert body["countries"][0]["window_start"] == "2023-12-05"


def test_a_listed_registry_check_shows_in_the_status(driver_client, driver, dispatcher):
    services.registry_check_record(
        driver=driver, status="listed", checked_on=date(2025, 5, 30), checked_by=dispatcher.user, note="MVD form"
    )

    russia = driver_client.get(URL, {"on": "2025-06-01"}).json()["countries"][0]

    assert russia["risk"] == "listed"
    assert russia["registry"] == {"status": "listed", "checked_on": "2025-05-30"}


@pytest.mark.parametrize("value", ["2025-13-01", "tomorrow", "01/06/2025"])
def test_a_bad_date_is_refused(driver_client, value):
    response = driver_client.get(URL, {"on": value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["on"]


def test_without_a_token_the_answer_is_401(api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("on", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_date_outside_2000_to_2100_is_a_client_mistake(driver_client, driver, on):
    record(driver, "RU", "entry", date(2025, 11, 15))

    response = driver_client.get(URL, {"on": on})

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"
    assert "on" in response.json()["errors"]


@time_machine.travel("2025-06-20 09:00Z", tick=False)
def test_a_chinese_driver_in_kazakhstan_is_held_to_the_visa_free_rule_seeded_with_its_source(driver_client, driver):
    driver.citizenship = "CN"
    driver.save(update_fields=["citizenship"])
    record(driver, "KZ", "entry", date(2025, 6, 1))

    body = driver_client.get(URL, {"on": "2025-06-20"}).json()

    [kazakhstan] = [item for item in body["countries"] if item["country"] == "KZ"]
    rule = StayRule.objects.get(citizenships=["CN"])
    assert rule.effective_from == date(2023, 11, 10)
    assert "visa exemption" in rule.source_note
    assert kazakhstan["rule"]["limit_days"] == 90
    assert (kazakhstan["days_used"], kazakhstan["days_left"], kazakhstan["latest_exit"]) == (20, 10, "2025-06-30")


@time_machine.travel("2025-06-20 09:00Z", tick=False)
def test_a_driver_without_citizenship_is_told_why_nothing_is_known(driver_client, driver):
    driver.citizenship = ""
    driver.save(update_fields=["citizenship"])
    record(driver, "RU", "entry", date(2025, 6, 1))

    body = driver_client.get(URL, {"on": "2025-06-20"}).json()

    [russia] = [item for item in body["countries"] if item["country"] == "RU"]
    assert (russia["rule"], russia["rule_missing"], russia["risk"]) == (None, "no_citizenship", None)
    assert (russia["days_left"], russia["latest_exit"], russia["in_country"]) == (None, None, True)
