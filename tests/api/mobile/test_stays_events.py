"""GET/POST /api/v1/stays/events and DELETE /api/v1/stays/events/{id}."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from stays.models import StayEvent, StayEventAudit

URL = "/api/v1/stays/events"
PROBLEM = "application/problem+json"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def frozen_today():
    with time_machine.travel("2025-06-01T10:00:00Z", tick=False):
        yield


def post(client, **body):
    return client.post(URL, body, format="json")


def test_recording_an_entry_answers_201_with_the_stay_event(driver_client, driver):
    response = post(driver_client, country="ru", kind="entry", date="2025-05-20", crossing="zhaisan-sagarchin")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "country": "RU",
        "kind": "entry",
        "date": "2025-05-20",
        "crossing": "zhaisan-sagarchin",
        "source": "driver",
    }
    event = StayEvent.objects.get(pk=body["id"])
    assert event.driver == driver
    assert list(event.audit.values_list("action", flat=True)) == ["created"]


def test_the_list_shows_only_the_drivers_own_events_newest_date_first(driver_client, other_driver_client):
    post(driver_client, country="RU", kind="entry", date="2025-05-01")
    post(driver_client, country="RU", kind="exit", date="2025-05-10")
    post(other_driver_client, country="RU", kind="entry", date="2025-05-03")

    response = driver_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [(item["kind"], item["date"]) for item in body["results"]] == [
        ("exit", "2025-05-10"),
        ("entry", "2025-05-01"),
    ]
    assert body["next"] is None


def test_the_list_is_paginated_with_a_cursor(driver_client):
    for day in range(1, 6):
        post(driver_client, country="RU", kind="entry", date=f"2025-05-{day * 2:02d}")
        post(driver_client, country="RU", kind="exit", date=f"2025-05-{day * 2 + 1:02d}")

    first = driver_client.get(URL, {"limit": 4}).json()
    second = driver_client.get(first["next"]).json()

    assert len(first["results"]) == 4
    assert len(second["results"]) == 4
    assert not {item["id"] for item in first["results"]} & {item["id"] for item in second["results"]}


def test_a_future_date_is_refused(driver_client):
    response = post(driver_client, country="RU", kind="entry", date="2025-06-02")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert "date" in response.json()["errors"]


def test_an_exit_without_an_entry_before_it_is_refused(driver_client):
    response = post(driver_client, country="RU", kind="exit", date="2025-05-10")

    assert response.status_code == 400
    assert response.json()["errors"]["kind"] == ["There is no entry into this country before this exit."]


def test_a_second_entry_without_an_exit_between_is_refused(driver_client):
    post(driver_client, country="RU", kind="entry", date="2025-05-01")

    response = post(driver_client, country="RU", kind="entry", date="2025-05-05")

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]
    assert StayEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "XX", "kind": "entry", "date": "2025-05-01"}, "country"),
        ({"country": "RU", "kind": "arrival", "date": "2025-05-01"}, "kind"),
        ({"country": "RU", "kind": "entry", "date": "01.05.2025"}, "date"),
        ({"country": "RU", "kind": "entry", "date": "2025-05-01", "crossing": "nowhere"}, "crossing"),
        ({"country": "CN", "kind": "entry", "date": "2025-05-01", "crossing": "zhaisan-sagarchin"}, "crossing"),
        ({"kind": "entry", "date": "2025-05-01"}, "country"),
    ],
)
def test_malformed_fields_are_refused_by_name(driver_client, body, field):
    response = driver_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_without_a_token_the_answer_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401


def test_deleting_an_event_is_a_correction_kept_in_the_audit_trail(driver_client, driver):
    event_id = post(driver_client, country="RU", kind="entry", date="2025-05-01").json()["id"]

    response = driver_client.delete(f"{URL}/{event_id}")

    assert response.status_code == 204
    event = StayEvent.objects.get(pk=event_id)
    assert event.deleted_at is not None
    assert event.deleted_by == driver.user
    assert list(StayEventAudit.objects.filter(event=event).values_list("action", flat=True)) == ["created", "deleted"]
    assert driver_client.get(URL).json()["results"] == []


def test_another_drivers_event_is_not_found(driver_client, other_driver_client):
    event_id = post(other_driver_client, country="RU", kind="entry", date="2025-05-01").json()["id"]

    response = driver_client.delete(f"{URL}/{event_id}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert StayEvent.objects.get(pk=event_id).deleted_at is None


def test_a_deleted_event_cannot_be_deleted_again(driver_client):
    event_id = post(driver_client, country="RU", kind="entry", date="2025-05-01").json()["id"]
    driver_client.delete(f"{URL}/{event_id}")

    assert driver_client.delete(f"{URL}/{event_id}").status_code == 404


def test_an_unknown_event_is_not_found(driver_client):
    assert driver_client.delete(f"{URL}/{uuid.uuid4()}").status_code == 404


def test_an_event_change_refreshes_the_snapshot_after_commit(driver_client, driver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post(driver_client, country="RU", kind="entry", date="2025-05-01")

    assert len(callbacks) == 1
    snapshot = driver.stay_snapshots.get(country="RU")
    assert (snapshot.in_country, snapshot.days_used) == (True, 32)
