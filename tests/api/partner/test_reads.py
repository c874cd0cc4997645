"""Partner reads: crossings with estimates, one estimate, history; ETags and 304s; bad parameters."""

from __future__ import annotations

import itertools
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.pagination import cursor_encode
from queues.models import Crossing
from queues.payloads import estimate_as_dict
from queues.selectors import partner as partner_reads
from tests.support.partner import (
    BASE,
    NOW,
    add_point,
    publish_estimate,
    queue_of,
)

pytestmark = pytest.mark.django_db

ESTIMATE = f"{BASE}/crossings/syrym-mashtakovo/estimate"
HISTORY = f"{BASE}/crossings/syrym-mashtakovo/history"


# --- /crossings -------------------------------------------------------------------------------------
def test_crossings_list_every_active_crossing_with_its_queues_and_estimates(partner_client):
    queue = queue_of()
    estimate = publish_estimate(queue)

    response = partner_client.get(f"{BASE}/crossings", {"limit": 500})

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [c["slug"] for c in body["results"]] == sorted(Crossing.objects.values_list("slug", flat=True))
    syrym = next(c for c in body["results"] if c["slug"] == "syrym-mashtakovo")
    assert set(syrym) == {"slug", "name", "name_ru", "name_kk", "countries", "lat", "lon", "queues", "schedule"}
    assert syrym["countries"] == ["KZ", "RU"]
    queues = {q["direction"]: q["estimate"] for q in syrym["queues"]}
    assert queues == {"KZ-RU": estimate_as_dict(estimate), "RU-KZ": None}


def test_crossings_are_paginated_with_a_cursor_until_next_is_null(partner_client):
    slugs, url, pages = [], f"{BASE}/crossings?limit=5", 0

    while url:
        body = partner_client.get(url).json()
        slugs += [c["slug"] for c in body["results"]]
        assert len(body["results"]) <= 5
        url = body["next"] and urlsplit(body["next"])._replace(scheme="", netloc="").geturl()
        pages += 1

    assert slugs == sorted(Crossing.objects.values_list("slug", flat=True))
    assert pages == -(-len(slugs) // 5)


def test_inactive_crossings_are_left_out(partner_client):
    Crossing.objects.filter(slug="syrym-mashtakovo").update(active=False)

    body = partner_client.get(f"{BASE}/crossings", {"limit": 500}).json()

    assert "syrym-mashtakovo" not in [c["slug"] for c in body["results"]]
    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 100000},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"cursor": cursor_encode(["a", "b"])},
        {"cursor": "x" * 600},
    ],
    ids=["zero", "huge", "text", "garbage-cursor", "foreign-cursor", "long-cursor"],
)
def test_bad_page_parameters_are_400_problem_json(partner_client, query):
    response = partner_client.get(f"{BASE}/crossings", query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"]


def test_crossings_list_takes_a_constant_number_of_queries(partner_client, django_assert_max_num_queries):
    for crossing in Crossing.objects.all()[:10]:
        for queue in crossing.queues.all():
            publish_estimate(queue)

    with django_assert_max_num_queries(5):
        assert partner_client.get(f"{BASE}/crossings", {"limit": 500}).status_code == 200


# --- /estimate --------------------------------------------------------------------------------------
def test_estimate_is_the_same_object_as_the_driver_api(partner_client):
    estimate = publish_estimate(queue_of(), wait=185)

    response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    assert response.status_code == 200
    assert response.json() == estimate_as_dict(estimate)
    assert response.json()["computed_at"].endswith("Z")


def test_estimate_below_the_publication_rule_is_404_insufficient_data(partner_client):
    publish_estimate(queue_of(), drivers=2, published=False)

    response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "insufficient_data"


def test_estimate_of_a_queue_never_estimated_is_404_insufficient_data(partner_client):
    response = partner_client.get(ESTIMATE, {"direction": "RU-KZ"})

    assert response.status_code == 404
    assert response.json()["code"] == "insufficient_data"


def test_unknown_crossing_is_404_not_found(partner_client):
    response = partner_client.get(f"{BASE}/crossings/atlantis-avalon/estimate", {"direction": "KZ-RU"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("direction", [None, "", "KZRU", "KZ-CN", "kz-ru-x", "1Z-RU"])
def test_bad_or_unknown_direction_is_400_validation_error(partner_client, direction):
    query = {} if direction is None else {"direction": direction}

    response = partner_client.get(ESTIMATE, query)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "direction" in response.json()["errors"]


def test_direction_is_case_insensitive(partner_client):
    publish_estimate(queue_of())

    assert partner_client.get(ESTIMATE, {"direction": "kz-ru"}).status_code == 200


def test_reads_carry_etag_and_cache_control_and_answer_304_on_a_match(partner_client):
    publish_estimate(queue_of())
    first = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    etag = first["ETag"]

    again = partner_client.get(ESTIMATE, {"direction": "KZ-RU"}, headers={"If-None-Match": etag})
    other = partner_client.get(ESTIMATE, {"direction": "KZ-RU"}, headers={"If-None-Match": '"stale"'})

    assert first["Cache-Control"].startswith("private, max-age=")
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert other.status_code == 200


def test_a_new_estimate_changes_the_etag(partner_client):
    queue = queue_of()
    publish_estimate(queue, wait=100)
    etag = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})["ETag"]
    publish_estimate(queue, wait=130, computed_at=NOW + timedelta(minutes=1))

    response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"}, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert response.json()["wait_minutes"] == 130


@pytest.mark.parametrize("path", ["/crossings", "/crossings/syrym-mashtakovo/history?direction=KZ-RU"])
def test_every_read_answers_304_on_a_matching_etag(partner_client, path):
    first = partner_client.get(f"{BASE}{path}")

    second = partner_client.get(f"{BASE}{path}", headers={"If-None-Match": f'W/{first["ETag"]}, "other"'})

    assert first.status_code == 200
    assert second.status_code == 304


# --- /history ---------------------------------------------------------------------------------------
def _history(client, **query):
    return client.get(HISTORY, {"direction": "KZ-RU", **query})


def test_history_buckets_published_points_by_the_mean(partner_client):
    queue = queue_of()
    start = NOW.replace(minute=0)
    add_point(queue, start + timedelta(minutes=1), 100, drivers=3)
    add_point(queue, start + timedelta(minutes=7), 121, drivers=6)
    add_point(queue, start + timedelta(minutes=20), 200, drivers=4)
    add_point(queue, start + timedelta(minutes=25), 999, drivers=2, published=False)
    add_point(queue, start + timedelta(hours=1, minutes=5), 50, drivers=5)

    response = _history(
        partner_client, since=start.isoformat(), until=(start + timedelta(hours=2)).isoformat(), interval="15m"
    )

    assert response.status_code == 200
    assert response.json() == {
        "points": [
            {"at": "2026-11-21T09:00:00Z", "wait_minutes": 110, "low_minutes": 80, "high_minutes": 140, "drivers": 6},
            {"at": "2026-11-21T09:15:00Z", "wait_minutes": 200, "low_minutes": 170, "high_minutes": 230, "drivers": 4},
            {"at": "2026-11-21T10:00:00Z", "wait_minutes": 50, "low_minutes": 20, "high_minutes": 80, "drivers": 5},
        ]
    }


def test_history_by_hour_and_by_day(partner_client):
    queue = queue_of()
    day = NOW.replace(hour=0, minute=0)
    add_point(queue, day + timedelta(hours=1), 60)
    add_point(queue, day + timedelta(hours=1, minutes=50), 80)
    add_point(queue, day + timedelta(hours=23), 100)
    add_point(queue, day + timedelta(days=1, hours=2), 300)
    window = {"since": day.isoformat(), "until": (day + timedelta(days=2)).isoformat()}

    hourly = _history(partner_client, interval="1h", **window).json()["points"]
    daily = _history(partner_client, interval="1d", **window).json()["points"]

    assert [(p["at"], p["wait_minutes"]) for p in hourly] == [
        ("2026-11-21T01:00:00Z", 70),
        ("2026-11-21T23:00:00Z", 100),
        ("2026-11-22T02:00:00Z", 300),
    ]
    assert [(p["at"], p["wait_minutes"]) for p in daily] == [
        ("2026-11-21T00:00:00Z", 80),
        ("2026-11-22T00:00:00Z", 300),
    ]


def test_history_range_is_half_open(partner_client):
    queue = queue_of()
    add_point(queue, NOW, 10)
    add_point(queue, NOW + timedelta(hours=1), 20)

    points = _history(
        partner_client, since=NOW.isoformat(), until=(NOW + timedelta(hours=1)).isoformat(), interval="1h"
    ).json()["points"]

    assert [p["wait_minutes"] for p in points] == [10]


def test_history_defaults_to_the_last_24_hours_by_hour(partner_client):
    queue = queue_of()
    add_point(queue, NOW - timedelta(hours=25), 10)
    add_point(queue, NOW - timedelta(hours=2), 20)

    with time_machine.travel(NOW, tick=False):
        points = _history(partner_client).json()["points"]

    assert [p["at"] for p in points] == ["2026-11-21T07:00:00Z"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"interval": "5m"}, "interval"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-21T09:00:00"}, "since"),
        ({"since": "2026-11-21T10:00:00Z", "until": "2026-11-21T09:00:00Z"}, "since"),
        ({"since": "2000-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z", "interval": "1h"}, "interval"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z", "interval": "15m"}, "interval"),
        ({"until": "9999-12-31T23:59:59Z", "since": "0001-01-01T00:00:00Z", "interval": "1d"}, "since"),
        ({"until": "0001-01-01T00:00:00+14:00"}, "until"),
        ({"since": "9999-12-31T23:00:00-14:00"}, "since"),
    ],
    ids=[
        "interval",
        "text-since",
        "naive-since",
        "reversed",
        "too-many-hours",
        "too-many-quarters",
        "extreme-dates",
        "year-one",
        "year-9999",
    ],
)
def test_bad_history_parameters_are_400_never_500(partner_client, query, field):
    response = _history(partner_client, **query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_history_with_the_largest_allowed_range_is_answered(partner_client):
    response = _history(
        partner_client, since="2026-01-01T00:00:00Z", until="2026-01-21T20:00:00Z", interval="15m"
    )  # 2000 buckets exactly

    assert response.status_code == 200


def test_history_is_served_from_the_cache_and_refreshed_by_a_new_estimate(partner_client, monkeypatch):
    queue = queue_of()
    add_point(queue, NOW, 10)
    publish_estimate(queue, computed_at=NOW)
    window = {"since": (NOW - timedelta(hours=1)).isoformat(), "until": (NOW + timedelta(hours=1)).isoformat()}
    assert [p["wait_minutes"] for p in _history(partner_client, **window).json()["points"]] == [10]
    real_points = partner_reads._history_points
    monkeypatch.setattr(partner_reads, "_history_points", lambda *args: pytest.fail("not served from the cache"))
    assert [p["wait_minutes"] for p in _history(partner_client, **window).json()["points"]] == [10]
    monkeypatch.setattr(partner_reads, "_history_points", real_points)

    add_point(queue, NOW + timedelta(minutes=1), 30)
    publish_estimate(queue, computed_at=NOW + timedelta(minutes=1))

    assert [p["wait_minutes"] for p in _history(partner_client, **window).json()["points"]] == [20]


def test_history_is_correct_when_the_cache_is_down(monkeypatch, partner_client):
    from core.cache import ResilientRedisCache

    dead_cache = ResilientRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    monkeypatch.setattr(partner_reads, "cache", dead_cache)
    queue = queue_of()
    add_point(queue, NOW, 42)

    response = _history(
        partner_client, since=(NOW - timedelta(hours=1)).isoformat(), until=(NOW + timedelta(hours=1)).isoformat()
    )

    assert response.status_code == 200
    assert [p["wait_minutes"] for p in response.json()["points"]] == [42]


_EXAMPLE_COUNTER = itertools.count(1)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=3 * 24 * 60 - 1), min_size=1, max_size=25, unique=True),
    waits=st.lists(st.integers(min_value=0, max_value=3000), min_size=25, max_size=25),
    interval=st.sampled_from(["15m", "1h", "1d"]),
)
def test_history_buckets_agree_with_plain_arithmetic(partner_client, offsets, waits, interval):
    from queues.domain.partner import INTERVALS, bucket_floor
    from queues.models import EstimatePoint

    queue = queue_of()
    EstimatePoint.objects.filter(queue=queue).delete()
    start = NOW.replace(hour=0, minute=0) - timedelta(days=1)
    points = [(start + timedelta(minutes=offset), wait) for offset, wait in zip(offsets, waits, strict=False)]
    for at, wait in points:
        add_point(queue, at, wait)
    # Production stores a new estimate with each new point; that is what keys the history cache.
    publish_estimate(queue, computed_at=NOW + timedelta(microseconds=next(_EXAMPLE_COUNTER)))
    buckets: dict = {}
    for at, wait in points:
        buckets.setdefault(bucket_floor(at, INTERVALS[interval]), []).append(wait)

    response = _history(
        partner_client, since=start.isoformat(), until=(start + timedelta(days=3)).isoformat(), interval=interval
    )

    expected = [
        (at.isoformat().replace("+00:00", "Z"), round(sum(values) / len(values)))
        for at, values in sorted(buckets.items())
    ]
    assert [(p["at"], p["wait_minutes"]) for p in response.json()["points"]] == expected
