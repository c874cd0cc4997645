"""GET /api/v1/crossings and /api/v1/crossings/{slug}."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queues.models import Crossing, Estimate, Queue

pytestmark = pytest.mark.django_db


def test_the_list_has_every_active_crossing_with_both_queues(driver_client):
    response = driver_client.get("/api/v1/crossings")

    body = response.json()
    assert response.status_code == 200
    assert body["next"] is None
    assert len(body["results"]) == 21
    assert [c["slug"] for c in body["results"]] == sorted(c["slug"] for c in body["results"])
    for crossing in body["results"]:
        assert {q["direction"] for q in crossing["queues"]} == {
            f"{crossing['countries'][0]}-{crossing['countries'][1]}",
            f"{crossing['countries'][1]}-{crossing['countries'][0]}",
        }


def test_a_crossing_has_the_contract_fields(driver_client):
    response = driver_client.get("/api/v1/crossings/zhaisan-sagarchin")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "zhaisan-sagarchin",
        "name": "Zhaysan – Sagarchin",
        "name_ru": "Жайсан – Сагарчин",
        "name_kk": "",
        "countries": ["KZ", "RU"],
        "lat": 50.8,
        "lon": 56.05,
        "queues": [{"direction": "KZ-RU", "estimate": None}, {"direction": "RU-KZ", "estimate": None}],
        "schedule": [
            {
                "country": "KZ",
                "time_zone": "Asia/Aqtobe",
                "opening_hours": None,
                "daily_quota": None,
                "planned_closures": [],
            },
            {
                "country": "RU",
                "time_zone": "Asia/Yekaterinburg",
                "opening_hours": None,
                "daily_quota": None,
                "planned_closures": [],
            },
        ],
    }


def test_a_published_estimate_is_shown_and_an_unpublished_one_is_null(driver_client):
    queues = Queue.objects.filter(crossing__slug="dostyk-alashankou").order_by("from_country")
    computed_at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    for queue, published in zip(queues, (True, False), strict=True):
        Estimate.objects.create(
            queue=queue,
            wait_minutes=240,
            low_minutes=180,
            high_minutes=320,
            queue_length=60,
            throughput_per_hour=15.0,
            reports=12,
            drivers=5,
            computed_at=computed_at,
            data_until=computed_at,
            confidence="medium",
            published=published,
        )

    queues_out = driver_client.get("/api/v1/crossings/dostyk-alashankou").json()["queues"]

    assert queues_out[0]["direction"] == "CN-KZ"
    assert queues_out[0]["estimate"]["wait_minutes"] == 240
    assert queues_out[0]["estimate"]["computed_at"] == "2026-11-21T09:30:00Z"
    assert queues_out[1] == {"direction": "KZ-CN", "estimate": None}


def test_an_unknown_slug_is_a_404_problem(driver_client):
    response = driver_client.get("/api/v1/crossings/atlantis-avalon")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_an_inactive_crossing_is_neither_listed_nor_found(driver_client):
    crossing = Crossing.objects.get(slug="alimbet-orsk")
    crossing.active = False
    crossing.save()

    listed = [c["slug"] for c in driver_client.get("/api/v1/crossings").json()["results"]]
    detail = driver_client.get("/api/v1/crossings/alimbet-orsk")

    assert "alimbet-orsk" not in listed
    assert detail.status_code == 404


def test_the_list_is_cursor_paginated(driver_client):
    first = driver_client.get("/api/v1/crossings", {"limit": 15}).json()
    second = driver_client.get(first["next"]).json()

    assert len(first["results"]) == 15
    assert len(second["results"]) == 6
    assert second["next"] is None
    assert not {c["slug"] for c in first["results"]} & {c["slug"] for c in second["results"]}


def test_the_list_takes_the_same_few_queries_whatever_the_number_of_crossings(
    driver_client, django_assert_max_num_queries
):
    driver_client.get("/api/v1/crossings")  # sign-in bookkeeping of the first request

    with django_assert_max_num_queries(6):
        response = driver_client.get("/api/v1/crossings")

    assert len(response.json()["results"]) == 21


def test_a_read_carries_an_etag_and_a_matching_if_none_match_gets_304(driver_client):
    first = driver_client.get("/api/v1/crossings/dostyk-alashankou")

    again = driver_client.get("/api/v1/crossings/dostyk-alashankou", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"]
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/api/v1/crossings", "/api/v1/crossings/dostyk-alashankou"])
def test_crossings_need_a_signed_in_driver(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
