"""Crossing schedules: opening hours, daily quotas and planned closures as data on ``<crossing>``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from queues.catalogue import crossing_queue_schedule
from queues.models import Crossing, PlannedClosure
from tests.support.partner import BASE

pytestmark = pytest.mark.django_db


def _side(body: dict, country: str) -> dict:
    return next(side for side in body["schedule"] if side["country"] == country)


def test_the_shipped_quotas_are_on_the_crossings(driver_client):
    syrym = driver_client.get("/api/v1/crossings/syrym-mashtakovo").json()
    nur_zholy = driver_client.get("/api/v1/crossings/nur-zholy-khorgos").json()

    assert _side(syrym, "KZ") == {
        "country": "KZ",
        "time_zone": "Asia/Oral",
        "opening_hours": None,
        "daily_quota": 500,
        "planned_closures": [],
    }
    assert _side(syrym, "RU")["daily_quota"] is None
    assert _side(nur_zholy, "KZ")["daily_quota"] == 650
    assert [side["country"] for side in syrym["schedule"]] == syrym["countries"]


def test_hours_and_closures_an_operator_enters_are_served_to_drivers_and_partners(
    driver_client,
    partner_client,
):
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    crossing.opening_hours_b = "09:00-18:00"
    crossing.save()
    now = timezone.now().replace(microsecond=0)
    PlannedClosure.objects.create(
        crossing=crossing,
        country="RU",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=3),
        reason="Road works",
        source="https://example.org/notice",
    )
    PlannedClosure.objects.create(
        crossing=crossing,
        country="RU",
        starts_at=now - timedelta(days=5),
        ends_at=now - timedelta(days=4),
        reason="Over",
    )

    driver_body = driver_client.get("/api/v1/crossings/syrym-mashtakovo").json()
    partner_page = partner_client.get(f"{BASE}/crossings").json()
    partner_body = next(item for item in partner_page["results"] if item["slug"] == "syrym-mashtakovo")

    for body in (driver_body, partner_body):
        russia = _side(body, "RU")
        assert russia["opening_hours"] == {"opens": "09:00", "closes": "18:00"}
        assert russia["planned_closures"] == [
            {
                "from": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "to": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "reason": "Road works",
                "source": "https://example.org/notice",
            }
        ]
        assert _side(body, "KZ")["planned_closures"] == []


def test_the_queue_schedule_joins_both_sides():
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    crossing.opening_hours_a = "08:00-20:00"
    crossing.daily_quota_b = 800
    crossing.save()

    schedule = crossing_queue_schedule(crossing=crossing, from_country="KZ")

    assert schedule.daily_quota == 500
    assert schedule.hours is not None
    assert schedule.hours.text() == "08:00-20:00"
    assert schedule.time_zone == "Asia/Oral"


@pytest.mark.parametrize("text", ["9-18", "09:00-09:00", "25:00-26:00", "09:00-24:30"])
def test_an_operator_cannot_save_unreadable_opening_hours(text):
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    crossing.opening_hours_a = text

    with pytest.raises(ValidationError) as raised:
        crossing.full_clean()

    assert "opening_hours_a" in raised.value.message_dict


def test_a_closure_must_end_after_it_starts_on_one_of_the_crossings_sides():
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    now = timezone.now()
    closure = PlannedClosure(crossing=crossing, country="CN", starts_at=now, ends_at=now, reason="x")

    with pytest.raises(ValidationError) as raised:
        closure.full_clean()

    assert {"country", "ends_at"} <= set(raised.value.message_dict)


def test_the_crossing_admin_edits_the_schedule_and_its_closures(admin_client):
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")

    response = admin_client.get(f"/admin/queues/crossing/{crossing.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="opening_hours_a"' in content
    assert 'name="daily_quota_a"' in content
    assert "planned_closures-TOTAL_FORMS" in content


def test_a_closure_an_operator_adds_shows_at_once_in_a_stored_answer(driver_client):
    driver_client.get("/api/v1/crossings/syrym-mashtakovo")  # the answer is now stored
    now = timezone.now().replace(microsecond=0)
    PlannedClosure.objects.create(
        crossing=Crossing.objects.get(slug="syrym-mashtakovo"),
        country="KZ",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        reason="Holiday",
    )

    body = driver_client.get("/api/v1/crossings/syrym-mashtakovo").json()

    assert [closure["reason"] for closure in _side(body, "KZ")["planned_closures"]] == ["Holiday"]
