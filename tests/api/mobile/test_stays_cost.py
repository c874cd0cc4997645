"""GET /api/v1/stays costs a fixed number of queries, whatever the driver's history: the token (with the driver),
the regimes, the events, the rules and the latest registry check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from stays import services
from stays.models import DriverRegime, RegistryCheck

URL = "/api/v1/stays"

pytestmark = pytest.mark.django_db


def record(driver, country, kind, on):
    return services.stay_event_record(
        driver=driver, country=country, kind=kind, date=on, crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip


def _history(driver, trips: int) -> None:
    start = date(2025, 1, 1)
    for trip in range(trips):
        entry = start + timedelta(days=20 * trip)
        record(driver, "RU", "entry", entry)
        record(driver, "RU", "exit", entry + timedelta(days=5))
    DriverRegime.objects.create(driver=driver, regime="eaeu", valid_from=start)
    RegistryCheck.objects.create(driver=driver, status="clear", checked_on=start)


@pytest.mark.parametrize("trips", [1, 12])
def test_the_status_costs_five_queries_whatever_the_history(driver_client, driver, trips, django_assert_num_queries):
    _history(driver, trips)
    driver_client.get(URL, {"on": "2026-02-12"})  # the first use may renew the token's expiry

    with django_assert_num_queries(5):
        response = driver_client.get(URL, {"on": "2026-02-12"})

    assert response.status_code == 200
