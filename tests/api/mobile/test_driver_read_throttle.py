"""The per-driver read throttle (rate ``driver``) on every read endpoint of the driver API."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import DriverFactory, token_for
from tests.support.signin import ME_URL, PROBLEM, set_rates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_counters():
    cache.clear()
    yield
    cache.clear()


def client_for(driver) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
    return client


def test_reads_beyond_the_drivers_rate_are_429_with_retry_after(settings):
    set_rates(settings, driver="3/minute")
    client = client_for(DriverFactory())
    statuses = [client.get(url).status_code for url in (ME_URL, "/api/v1/crossings", "/api/v1/visits")]

    response = client.get("/api/v1/notifications")

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_one_drivers_reads_do_not_spend_another_drivers_budget(settings):
    set_rates(settings, driver="2/minute")
    busy, other = client_for(DriverFactory()), client_for(DriverFactory())
    for _ in range(3):
        busy.get(ME_URL)

    assert other.get(ME_URL).status_code == 200


def test_writes_are_not_counted_as_reads(settings):
    set_rates(settings, driver="2/minute")
    client = client_for(DriverFactory())
    for _ in range(3):
        assert client.patch(ME_URL, {"name": "Aidos"}, format="json").status_code == 200

    assert client.get(ME_URL).status_code == 200
