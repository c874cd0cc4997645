"""GET /api/v1/crossings shows the estimates that reports sent through POST /api/v1/reports produce.

Tasks run in-process here (the embedded default), so a report batch refreshes the estimate right after it commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from queues.domain.estimator import SAMPLE_WINDOW
from queues.models import Estimate, Queue
from queues.payloads import estimate_as_dict
from queues.services import estimates as estimation
from tests.factories import DriverFactory, token_for
from tests.support.estimates import transparent_estimate
from tests.support.reports import CROSSING, report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A private local-memory cache: pending flags never leak between tests or into a shared Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "estimates"}}
    cache.clear()


@pytest.fixture(autouse=True)
def _transparent_estimator(monkeypatch):
    monkeypatch.setattr(estimation, "estimate_wait", transparent_estimate)


def reporters(count: int) -> list[APIClient]:
    clients = []
    for driver in DriverFactory.create_batch(count):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
        clients.append(client)
    return clients


def send_positions(clients, capture, *, minutes_ago: int = 20) -> None:
    observed_at = datetime.now(tz=UTC) - timedelta(minutes=minutes_ago)
    for position, client in enumerate(clients, start=30):
        with capture(execute=True):
            response = client.post(
                "/api/v1/reports",
                {"reports": [report(kind="position", observed_at=observed_at, position=position)]},
                format="json",
            )
        assert response.json()["results"][0]["status"] == "created"


def listed_estimates(client: APIClient, slug: str = CROSSING) -> dict:
    crossings = client.get("/api/v1/crossings").json()["results"]
    (crossing,) = [crossing for crossing in crossings if crossing["slug"] == slug]
    return {queue["direction"]: queue["estimate"] for queue in crossing["queues"]}


def test_reports_from_three_drivers_put_an_estimate_in_the_crossing_list(django_capture_on_commit_callbacks):
    clients = reporters(3)

    send_positions(clients, django_capture_on_commit_callbacks)

    estimates = listed_estimates(clients[0])
    stored = Estimate.objects.get(queue__crossing__slug=CROSSING, queue__from_country="KZ")
    assert estimates == {"KZ-RU": estimate_as_dict(stored), "RU-KZ": None}
    assert (estimates["KZ-RU"]["drivers"], estimates["KZ-RU"]["reports"], estimates["KZ-RU"]["wait_minutes"]) == (
        3,
        3,
        30,
    )


def test_the_crossing_detail_shows_the_same_estimate(django_capture_on_commit_callbacks):
    clients = reporters(3)
    send_positions(clients, django_capture_on_commit_callbacks)

    detail = clients[0].get(f"/api/v1/crossings/{CROSSING}").json()

    assert {queue["direction"]: queue["estimate"] for queue in detail["queues"]} == listed_estimates(clients[0])


def test_reports_from_two_drivers_show_no_estimate_yet(django_capture_on_commit_callbacks):
    clients = reporters(2)

    send_positions(clients, django_capture_on_commit_callbacks)

    assert listed_estimates(clients[0]) == {"KZ-RU": None, "RU-KZ": None}
    assert Estimate.objects.get(queue__crossing__slug=CROSSING, queue__from_country="KZ").drivers == 2


def test_an_estimate_whose_reports_aged_out_leaves_the_list_after_the_sweep(django_capture_on_commit_callbacks):
    clients = reporters(3)
    send_positions(clients, django_capture_on_commit_callbacks)
    queue = Queue.objects.get(crossing__slug=CROSSING, from_country="KZ")
    later = Estimate.objects.get(queue=queue).computed_at + SAMPLE_WINDOW + timedelta(minutes=30)

    estimation.estimate_sweep(as_of=later)

    assert listed_estimates(clients[0]) == {"KZ-RU": None, "RU-KZ": None}
