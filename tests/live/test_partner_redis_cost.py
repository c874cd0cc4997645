"""On real Redis: a hot partner estimate read costs one round trip (the key, the throttle's count and the answer
pipelined) and no query; other reads two; the throttle still counts and refuses; the cache client is reused."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from redis.connection import AbstractConnection

from core.cache import ResilientRedisCache
from tests.support.partner import (
    BASE,
    publish_estimate,
    queue_of,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db, pytest.mark.usefixtures("real_services")]

ESTIMATE = f"{BASE}/crossings/syrym-mashtakovo/estimate"


@pytest.fixture
def round_trips(monkeypatch):
    sent = []
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


def test_the_test_cache_is_redis():
    assert isinstance(caches["default"], ResilientRedisCache)


def test_a_hot_estimate_read_is_one_redis_round_trip_and_no_query(
    partner_client, round_trips, django_assert_num_queries
):
    publish_estimate(queue_of(), wait=150)
    partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    round_trips.clear()

    with django_assert_num_queries(0):
        response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    assert response.status_code == 200
    assert response.json()["wait_minutes"] == 150
    assert len(round_trips) == 1


def test_a_new_estimate_is_served_at_once_through_the_pipeline(partner_client):
    queue = queue_of()
    publish_estimate(queue, wait=150)
    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 150

    publish_estimate(queue, wait=95)

    assert partner_client.get(ESTIMATE, {"direction": "kz-ru"}).json()["wait_minutes"] == 95


def test_the_throttle_counts_in_the_same_round_trip_and_refuses_past_the_rate(partner_client, settings):
    settings.PARTNER_THROTTLE_RATE = "3/minute"
    publish_estimate(queue_of())

    statuses = [partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_the_cache_reuses_one_redis_client_per_pool():
    cache = caches["default"]

    assert cache._cache.get_client("a") is cache._cache.get_client("b")
    cache.set("partner-redis-cost:probe", 1, 5)
    assert cache.incr("partner-redis-cost:probe") == 2
