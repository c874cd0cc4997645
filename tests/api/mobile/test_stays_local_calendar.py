"""One calendar: a driver's "today" in a country is that country's local date, for the status, for "is this date
in the future" and for the daily check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from queues.catalogue import crossing_local_date
from queues.models import Queue, Report
from stays import services
from stays.models import StayStatusSnapshot

pytestmark = pytest.mark.django_db

# 21:06 UTC is already the next day on every Russian side of the border (UTC+3 and east).
CROSSED_AT = datetime(2025, 11, 20, 21, 6, tzinfo=UTC)


def cross_into_russia(driver):
    queue = Queue.objects.filter(from_country="KZ", to_country="RU").select_related("crossing").first()
    report = Report.objects.create(
        driver=driver, queue=queue, kind="crossed", observed_at=CROSSED_AT, received_at=CROSSED_AT, content_hash="x"
    )
    services.stay_crossing_record(
        driver=driver, report_id=report.pk, crossing_id=queue.crossing_id, from_country="KZ", to_country="RU",
        crossed_at=CROSSED_AT,
    )  # fmt: skip
    return queue.crossing


@time_machine.travel(CROSSED_AT + timedelta(minutes=4), tick=False)
def test_a_driver_who_just_entered_russia_in_the_evening_reads_in_the_country(driver_client, driver):
    crossing = cross_into_russia(driver)
    local_today = crossing_local_date(crossing=crossing, country="RU", at=CROSSED_AT)
    assert local_today == CROSSED_AT.date() + timedelta(days=1)

    body = driver_client.get("/api/v1/stays").json()

    assert body["on"] == local_today.isoformat()
    [russia] = [item for item in body["countries"] if item["country"] == "RU"]
    assert (russia["in_country"], russia["days_used"]) == (True, 1)


@time_machine.travel(CROSSED_AT + timedelta(minutes=30), tick=False)
def test_an_exit_on_the_local_date_is_not_refused_as_in_the_future(driver_client, driver):
    crossing = cross_into_russia(driver)
    local_today = crossing_local_date(crossing=crossing, country="RU", at=CROSSED_AT)

    response = driver_client.post(
        "/api/v1/stays/events",
        {"country": "RU", "kind": "exit", "date": local_today.isoformat(), "crossing": crossing.slug},
        format="json",
    )

    assert response.status_code == 201, response.content


@time_machine.travel(CROSSED_AT + timedelta(minutes=30), tick=False)
def test_a_date_after_the_local_today_is_still_in_the_future(driver_client, driver):
    crossing = cross_into_russia(driver)
    local_today = crossing_local_date(crossing=crossing, country="RU", at=CROSSED_AT)

    response = driver_client.post(
        "/api/v1/stays/events",
        {"country": "RU", "kind": "exit", "date": (local_today + timedelta(days=1)).isoformat()},
        format="json",
    )

    assert response.status_code == 400


@time_machine.travel(CROSSED_AT + timedelta(minutes=5), tick=False)
def test_the_daily_check_assesses_each_driver_on_their_local_today(driver):
    crossing = cross_into_russia(driver)

    services.stay_statuses_refresh(driver_ids=[driver.pk], on=None, as_of=CROSSED_AT + timedelta(minutes=5))

    snapshot = StayStatusSnapshot.objects.get(driver=driver, country="RU")
    assert snapshot.on == crossing_local_date(crossing=crossing, country="RU", at=CROSSED_AT)
    assert (snapshot.in_country, snapshot.days_used) == (True, 1)


@time_machine.travel(CROSSED_AT + timedelta(minutes=10), tick=False)
def test_a_driver_just_back_in_kazakhstan_reads_by_the_kazakh_calendar(driver_client, driver):
    crossing = cross_into_russia(driver)
    exit_day = crossing_local_date(crossing=crossing, country="RU", at=CROSSED_AT)
    services.stay_event_record(
        driver=driver, country="RU", kind="exit", date=exit_day, crossing=crossing, source="driver",
        actor=driver.user, as_of=CROSSED_AT + timedelta(minutes=8),
    )  # fmt: skip

    body = driver_client.get("/api/v1/stays").json()

    assert body["on"] == crossing_local_date(crossing=crossing, country="KZ", at=CROSSED_AT).isoformat()
