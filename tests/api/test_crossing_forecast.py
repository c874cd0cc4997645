"""GET /api/v1/crossings/{slug}/forecast and GET /api/partner/v1/crossings/{slug}/forecast: the wait of a truck
joining a queue later, from the published estimate."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from queues.domain.forecast import Closure, QueueSchedule
from queues.selectors import forecast as forecast_reads
from tests.support.partner import (
    BASE,
    NOW,
    add_point,
    isolate_cache,
    publish_estimate,
    queue_of,
)

pytestmark = pytest.mark.django_db

SLUG = "syrym-mashtakovo"
DRIVER_URL = f"/api/v1/crossings/{SLUG}/forecast"
PARTNER_URL = f"{BASE}/crossings/{SLUG}/forecast"


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(params=["driver", "partner"])
def ask(request, driver_client, partner_client):
    """The same question to either API: ``ask(query, slug=...) -> response``."""

    def call(query, slug=SLUG):
        if request.param == "driver":
            return driver_client.get(f"/api/v1/crossings/{slug}/forecast", query)
        return partner_client.get(f"{BASE}/crossings/{slug}/forecast", query)

    return call


def test_the_forecast_for_now_is_the_published_estimate(ask):
    publish_estimate(queue_of(SLUG, "KZ-RU"), wait=240, computed_at=NOW)

    response = ask({"direction": "KZ-RU"})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "crossing": SLUG,
        "direction": "KZ-RU",
        "at": "2026-11-21T09:30:00Z",
        "wait_minutes": 240,
        "low_minutes": 180,
        "high_minutes": 330,
        "confidence": "medium",
        "computed_at": "2026-11-21T09:30:00Z",
        "open_at_join": None,
        "quota_spent_at_join": None,
    }


def test_a_later_join_has_a_wider_range_and_less_confidence(ask):
    queue = queue_of(SLUG, "KZ-RU")
    publish_estimate(queue, wait=240, computed_at=NOW)
    for hours in range(1, 49):
        add_point(queue, NOW - timedelta(hours=hours), 240)

    response = ask({"direction": "KZ-RU", "at": (NOW + timedelta(hours=30)).isoformat()})

    body = response.json()
    assert response.status_code == 200, body
    assert body["at"] == "2026-11-22T15:30:00Z"
    assert body["low_minutes"] < 180
    assert body["high_minutes"] > 330
    assert body["confidence"] == "low"


def test_a_planned_closure_at_the_join_is_waited_out(ask, monkeypatch):
    publish_estimate(queue_of(SLUG, "KZ-RU"), wait=60, computed_at=NOW)
    closure = Closure(starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=12), reason="repairs")
    monkeypatch.setattr(
        forecast_reads, "queue_schedule", lambda queue: QueueSchedule(time_zone="Asia/Oral", closures=(closure,))
    )

    response = ask({"direction": "KZ-RU", "at": (NOW + timedelta(hours=3)).isoformat()})

    body = response.json()
    assert body["open_at_join"] is False
    assert body["wait_minutes"] >= 9 * 60 + 60


def test_a_spent_quota_holds_the_truck_until_the_next_local_day(ask, monkeypatch):
    publish_estimate(queue_of(SLUG, "KZ-RU"), wait=60, computed_at=NOW)  # 14.5 trucks an hour
    monkeypatch.setattr(
        forecast_reads, "queue_schedule", lambda queue: QueueSchedule(time_zone="Asia/Oral", daily_quota=100)
    )

    # 20:30 in Oral (UTC+5): 14.5 × 20.5 ≈ 297 trucks since midnight, the 100 long through.
    response = ask({"direction": "KZ-RU", "at": (NOW + timedelta(hours=6)).isoformat()})

    body = response.json()
    assert body["quota_spent_at_join"] is True
    assert body["wait_minutes"] >= 210  # until midnight in Oral


def test_no_published_estimate_is_insufficient_data(ask):
    publish_estimate(queue_of(SLUG, "KZ-RU"), drivers=2, published=False, computed_at=NOW)

    response = ask({"direction": "KZ-RU"})

    assert response.status_code == 404
    assert response.json()["code"] == "insufficient_data"


@pytest.mark.parametrize("hours", [-2, 73])
def test_a_moment_outside_the_next_72_hours_is_refused(ask, hours):
    publish_estimate(queue_of(SLUG, "KZ-RU"), computed_at=NOW)

    response = ask({"direction": "KZ-RU", "at": (NOW + timedelta(hours=hours)).isoformat()})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "at" in response.json()["errors"]


def test_a_direction_the_crossing_lacks_is_refused(ask):
    response = ask({"direction": "KZ-CN"})

    assert response.status_code == 400
    assert "direction" in response.json()["errors"]


def test_an_unknown_crossing_is_not_found(ask):
    response = ask({"direction": "KZ-RU"}, slug="nowhere-nothing")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_refusal_is_in_the_readers_language(driver_client):
    response = driver_client.get(
        DRIVER_URL, {"direction": "KZ-RU", "at": (NOW + timedelta(hours=90)).isoformat()}, HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert response.status_code == 400
    assert "72" in response.json()["errors"]["at"][0]
    assert "Enter" not in response.json()["errors"]["at"][0]


def test_without_credentials_the_answer_is_401(api_client, client):
    assert api_client.get(DRIVER_URL, {"direction": "KZ-RU"}).status_code == 401
    assert client.get(PARTNER_URL, {"direction": "KZ-RU"}).status_code == 401
