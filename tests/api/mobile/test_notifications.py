"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/read (an addition to the contract)."""

from __future__ import annotations

import pytest
import time_machine

from carriers.models import Notification

URL = "/api/v1/notifications"

pytestmark = pytest.mark.django_db


def notify(driver, key, title, *, audience="driver"):
    return Notification.objects.create(
        audience=audience,
        driver=driver if audience == "driver" else None,
        carrier=driver.carrier if audience == "dispatcher" else None,
        kind="stay_risk",
        level="watch",
        title=title,
        dedupe_key=key,
    )


def test_the_driver_sees_their_own_notifications_newest_first(driver_client, driver, other_driver):
    with time_machine.travel("2025-06-01T10:00:00Z", tick=False):
        notify(driver, "a", "older")
    with time_machine.travel("2025-06-02T10:00:00Z", tick=False):
        notify(driver, "b", "newer")
    notify(other_driver, "c", "someone else's")
    notify(driver, "d", "for the dispatchers", audience="dispatcher")

    response = driver_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [item["title"] for item in body["results"]] == ["newer", "older"]
    assert body["next"] is None
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "level",
        "title",
        "body",
        "data",
        "created_at",
        "read_at",
        "active",
        "resolved_at",
        "resolution",
    }


def test_notifications_are_paginated_with_a_cursor(driver_client, driver):
    for index in range(5):
        notify(driver, f"key-{index}", f"n{index}")

    first = driver_client.get(URL, {"limit": 3}).json()
    second = driver_client.get(first["next"]).json()

    assert len(first["results"]) == 3
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_marking_a_notification_read_is_idempotent(driver_client, driver):
    notification = notify(driver, "a", "watch")

    with time_machine.travel("2025-06-01T10:00:00Z", tick=False):
        first = driver_client.post(f"{URL}/{notification.pk}/read")
    second = driver_client.post(f"{URL}/{notification.pk}/read")

    assert first.status_code == 200
    assert first.json()["read_at"] == "2025-06-01T10:00:00Z"
    assert second.json()["read_at"] == "2025-06-01T10:00:00Z"


def test_another_drivers_notification_is_not_found(driver_client, other_driver):
    notification = notify(other_driver, "a", "theirs")

    response = driver_client.post(f"{URL}/{notification.pk}/read")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None


def test_without_a_token_the_answer_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}/1/read").status_code == 401
