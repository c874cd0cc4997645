"""GET /api/partner/v1/crossings/{slug}/accuracy: live accuracy of a queue's published estimates."""

# Fixtures are imported from tests.partner_support and then requested by name.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.estimates import report_store
from tests.factories import DriverFactory
from tests.partner_support import (  # noqa: F401
    BASE,
    NOW,
    add_point,
    partner_client,
    partner_key,
    queue_of,
)

pytestmark = pytest.mark.django_db

ACCURACY = f"{BASE}/crossings/syrym-mashtakovo/accuracy"


def crossed(queue, *, at, waited: int) -> None:
    report = report_store(driver=DriverFactory(), queue=queue, observed_at=at, kind="crossed", position=None)
    report.waited_minutes = waited
    report.save(update_fields=["waited_minutes"])


def test_accuracy_scores_realised_waits_against_what_was_published_when_those_trucks_joined(partner_client):
    queue = queue_of()
    joined = NOW - timedelta(days=2)
    add_point(queue, joined, 600)  # interval 570–630
    for minutes in (600, 620, 640, 660, 700, 580, 590, 610, 630, 650, 600, 800):
        crossed(queue, at=joined + timedelta(minutes=minutes + 5), waited=minutes)

    with time_machine.travel(NOW, tick=False):
        response = partner_client.get(ACCURACY, {"direction": "KZ-RU"})

    assert response.status_code == 200
    assert "ETag" in response.headers
    week, month = response.json()["windows"]
    assert week == {"days": 7, "samples": 12, "mae_minutes": 45, "interval_hit": 0.583}
    assert month["days"] == 30
    assert month["samples"] == 12


def test_accuracy_figures_are_null_below_ten_samples(partner_client):
    queue = queue_of()
    add_point(queue, NOW - timedelta(days=1), 300)
    crossed(queue, at=NOW - timedelta(days=1) + timedelta(minutes=305), waited=300)

    with time_machine.travel(NOW, tick=False):
        body = partner_client.get(ACCURACY, {"direction": "KZ-RU"}).json()

    assert body["windows"][0] == {"days": 7, "samples": 1, "mae_minutes": None, "interval_hit": None}


def test_accuracy_of_an_unknown_crossing_is_404_and_of_a_wrong_direction_400(partner_client):
    assert partner_client.get(f"{BASE}/crossings/nowhere/accuracy", {"direction": "KZ-RU"}).status_code == 404
    assert partner_client.get(ACCURACY, {"direction": "KZ-CN"}).status_code == 400


def test_accuracy_needs_a_key(client):
    assert client.get(ACCURACY, {"direction": "KZ-RU"}).status_code == 401
