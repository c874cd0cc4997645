"""GET /api/partner/v1/crossings/{slug}/accuracy: live accuracy of a queue's published estimates."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from queues.domain.accuracy import PublishedPoint, RealisedWait, accuracy_pairs, accuracy_windows
from queues.selectors import accuracy
from tests.factories import DriverFactory
from tests.support.estimates import report_store
from tests.support.partner import (
    BASE,
    NOW,
    add_point,
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batched_read_scores_every_queue_as_the_pure_scoring_over_all_its_points(seed):
    """Two queries for many queues read only the matched points; the result equals scoring each queue's realised
    waits against all of its published history (points at the edge of the match window included)."""
    rng = random.Random(seed)
    queues = [queue_of(), queue_of(direction="RU-KZ"), queue_of("zhaisan-sagarchin")]
    start = NOW - timedelta(days=32)
    everything: dict[int, list[PublishedPoint]] = {}
    realised: dict[int, list[RealisedWait]] = {}
    for queue in queues:
        points, at = [], start
        while at < NOW:
            at += timedelta(minutes=rng.choice([5, 20, 31, 45, 90]))
            wait = rng.randint(60, 900)
            published = rng.random() < 0.8
            add_point(queue, at, wait, published=published)
            if published:
                points.append(
                    PublishedPoint(at=at, wait_minutes=wait, low_minutes=max(0, wait - 30), high_minutes=wait + 30)
                )
        everything[queue.pk] = points
        realised[queue.pk] = []
        for _ in range(rng.randint(5, 40)):
            base = rng.choice(points).at if rng.random() < 0.3 else start + timedelta(minutes=rng.randint(0, 46000))
            joined = base + timedelta(minutes=rng.choice([0, 0, 1, 29, 30, 31, 200]))
            waited = rng.randint(10, 1200)
            crossed_at = joined + timedelta(minutes=waited)
            crossed(queue, at=crossed_at, waited=waited)
            if start < crossed_at <= NOW and crossed_at > NOW - timedelta(days=30):
                realised[queue.pk].append(RealisedWait(crossed_at=crossed_at, waited_minutes=waited))

    with CaptureQueriesContext(connection) as captured:
        batched = accuracy.queues_accuracy_map(queue_ids=[queue.pk for queue in queues], as_of=NOW)

    assert len(captured.captured_queries) == 2
    for queue in queues:
        expected = accuracy_windows(
            scored=accuracy_pairs(published=everything[queue.pk], realised=realised[queue.pk]), as_of=NOW
        )
        assert batched[queue.pk] == expected
    assert any(window["mae_minutes"] is not None for windows in batched.values() for window in windows)
