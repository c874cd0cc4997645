"""On real Redis: a hot driver crossing read costs one round trip (the token's entry, the stamp, the stored answer
and the driver's read count, in one script) and no query; the count is the throttle's."""

from __future__ import annotations

import pytest
from redis.connection import AbstractConnection
from rest_framework.test import APIClient

from tests.factories import DriverFactory, token_for
from tests.support.partner import isolate_cache
from tests.support.signin import set_rates

pytestmark = [pytest.mark.integration, pytest.mark.django_db, pytest.mark.usefixtures("real_services")]

LIST = "/api/v1/crossings"


@pytest.fixture
def app(settings) -> APIClient:
    isolate_cache(settings)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(DriverFactory())}")
    return client


@pytest.fixture
def round_trips(monkeypatch):
    sent = []
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


def test_a_hot_list_read_is_one_redis_round_trip_and_no_query(app, round_trips, django_assert_num_queries):
    first = app.get(LIST)
    round_trips.clear()

    with django_assert_num_queries(0):
        again = app.get(LIST)

    assert again.status_code == 200
    assert again.content == first.content
    assert len(round_trips) == 1


def test_the_script_counts_the_drivers_reads_with_the_throttles_counter(app, settings):
    set_rates(settings, driver="3/minute")

    statuses = [app.get(LIST).status_code for _ in range(3)]
    refused = app.get("/api/v1/me")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
