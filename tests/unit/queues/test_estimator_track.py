"""The estimator's memory of its own estimates (the track): realised waits scored against what it said when those
trucks joined, the interval calibrated on those errors, a tick moving only part of the way, and no wait without
evidence that the border clears trucks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queues.domain import estimator
from queues.domain.estimator import (
    CALIBRATION_MIN_PAIRS,
    QueueParams,
    Sample,
    TrackPoint,
    estimate_wait,
)
from tests.unit.queues.test_estimator import queue_reports
from tests.unit.queues.test_estimator_properties import report_sets

AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def steady_track(*, wait: float, forecast: float, realised: float, hours: int = 60) -> tuple[TrackPoint, ...]:
    return tuple(
        TrackPoint(
            at=AS_OF - timedelta(minutes=15 * tick),
            wait_minutes=wait,
            predictors={"forecast": forecast, "realised": realised},
        )
        for tick in range(hours * 4, 0, -1)
    )


def test_without_a_track_nothing_is_calibrated_or_smoothed():
    result = estimate_wait(samples=queue_reports(), as_of=AS_OF)

    assert result.calibration_pairs == 0
    assert set(result.predictors) >= {"forecast", "realised"}


def test_realised_waits_are_matched_with_the_estimate_of_the_moment_their_trucks_joined():
    samples = queue_reports(length=200, pace=20)  # trucks wait about 10 h

    result = estimate_wait(
        samples=samples, as_of=AS_OF, queue=QueueParams(track=steady_track(wait=600, forecast=600, realised=600))
    )

    assert result.calibration_pairs >= CALIBRATION_MIN_PAIRS


def test_the_predictor_that_has_been_right_lately_weighs_more():
    samples = queue_reports(length=200, pace=20)
    plain = estimate_wait(samples=samples, as_of=AS_OF)
    realised_right = steady_track(wait=600, forecast=300, realised=600)
    forecast_right = steady_track(wait=600, forecast=600, realised=300)

    leaning_realised = estimate_wait(
        samples=samples, as_of=AS_OF + timedelta(hours=2), queue=QueueParams(track=realised_right)
    )
    leaning_forecast = estimate_wait(
        samples=samples, as_of=AS_OF + timedelta(hours=2), queue=QueueParams(track=forecast_right)
    )

    assert leaning_realised.calibration_pairs >= CALIBRATION_MIN_PAIRS
    gap_realised = abs(leaning_realised.wait_minutes - plain.predictors["realised"])
    gap_forecast = abs(leaning_forecast.wait_minutes - plain.predictors["realised"])
    assert gap_realised <= gap_forecast


def test_predictors_that_ran_short_get_an_interval_reaching_what_trucks_realised():
    samples = queue_reports(length=200, pace=20)  # trucks realise about 600 minutes
    # Every predictor of the past said 400 against the 600 realised; the last point is too old to move from.
    track = tuple(
        point for point in steady_track(wait=400, forecast=400, realised=400) if point.at <= AS_OF - timedelta(hours=2)
    )

    result = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=track))

    assert result.calibration_pairs >= CALIBRATION_MIN_PAIRS
    # The interval leans up by the error those predictors made.
    assert result.high_minutes >= result.wait_minutes * 1.4


def test_a_change_under_way_widens_the_interval_towards_the_forecast_only():
    # The queue has moved at a quarter of its pace for 4 h: the forecast sees it, realised waits (a wait late) do
    # not, and the track says realised waits have been the better guide here.
    samples = queue_reports(length=200, pace=20, drivers=24, pace_after=5, change_hours_ago=3)
    track = tuple(
        point for point in steady_track(wait=600, forecast=300, realised=600) if point.at <= AS_OF - timedelta(hours=2)
    )

    result = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=track))

    assert result.calibration_pairs >= CALIBRATION_MIN_PAIRS
    forecast = result.predictors["forecast"]
    assert forecast > result.wait_minutes * 1.3
    assert result.high_minutes >= round(forecast) - 1
    # The other side stays what realised errors say: no wider than the upper side.
    assert result.wait_minutes / result.low_minutes < result.high_minutes / result.wait_minutes


def test_reaching_towards_the_forecast_never_makes_the_interval_wider_than_its_ceiling(monkeypatch):
    samples = queue_reports(length=200, pace=20, drivers=24, pace_after=0, change_hours_ago=3)  # a closure
    track = tuple(
        point for point in steady_track(wait=600, forecast=300, realised=600) if point.at <= AS_OF - timedelta(hours=2)
    )
    free = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=track))
    monkeypatch.setattr(estimator, "DISAGREEMENT_MAX_WIDTH", 2.0)

    capped = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=track))

    assert capped.calibration_pairs >= CALIBRATION_MIN_PAIRS
    assert free.high_minutes / free.low_minutes > 2.0
    assert capped.high_minutes / capped.low_minutes <= 2.0 * 1.01
    assert capped.high_minutes > capped.wait_minutes * 1.4  # still reaching up, as far as the ceiling allows


def test_a_tick_moves_the_estimate_only_part_of_the_way_the_new_evidence_points():
    samples = queue_reports(length=200, pace=20)
    fresh = estimate_wait(samples=samples, as_of=AS_OF)
    previous = (TrackPoint(at=AS_OF - timedelta(minutes=15), wait_minutes=fresh.wait_minutes * 2),)

    moved = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=previous))

    assert fresh.wait_minutes < moved.wait_minutes < fresh.wait_minutes * 2
    # 15 minutes with a one-hour time constant: about a fifth of the way (in log terms).
    assert moved.wait_minutes > fresh.wait_minutes * 1.7


def test_an_old_previous_estimate_is_not_moved_from():
    samples = queue_reports(length=200, pace=20)
    fresh = estimate_wait(samples=samples, as_of=AS_OF)
    previous = (TrackPoint(at=AS_OF - timedelta(hours=3), wait_minutes=fresh.wait_minutes * 2),)

    assert estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=previous)) == fresh


def test_three_drivers_who_only_joined_publish_nothing():
    samples = [
        Sample(f"driver-{n}", "joined", AS_OF - timedelta(minutes=20 * n + 5), AS_OF, position=400 + n)
        for n in range(3)
    ]

    result = estimate_wait(samples=samples, as_of=AS_OF)

    assert result is not None
    assert result.drivers == 3
    assert not result.evidence_of_service
    assert not result.publishable


@st.composite
def joined_only(draw) -> list[Sample]:
    samples = []
    for number in range(draw(st.integers(3, 30))):
        at = AS_OF - timedelta(hours=draw(st.floats(0, 29)))
        samples.append(Sample(f"driver-{number}", "joined", at, AS_OF, position=draw(st.integers(0, 5000))))
    return samples


@PROPERTY_SETTINGS
@given(joined_only())
def test_no_wait_is_published_without_evidence_of_service(samples):
    result = estimate_wait(samples=samples, as_of=AS_OF)

    assert result is None or not result.publishable


@PROPERTY_SETTINGS
@given(report_sets(), st.randoms(use_true_random=False))
def test_with_a_track_the_order_reports_and_points_arrive_in_does_not_matter(samples, shuffler: random.Random):
    track = steady_track(wait=500, forecast=450, realised=700, hours=40)
    shuffled_samples, shuffled_track = list(samples), list(track)
    shuffler.shuffle(shuffled_samples)
    shuffler.shuffle(shuffled_track)

    first = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(track=track))
    second = estimate_wait(samples=shuffled_samples, as_of=AS_OF, queue=QueueParams(track=tuple(shuffled_track)))

    assert first == second


@PROPERTY_SETTINGS
@given(report_sets(), st.integers(1, 5))
def test_with_a_track_more_agreeing_reports_never_widen_the_interval(samples, extra):
    params = QueueParams(track=steady_track(wait=500, forecast=450, realised=700, hours=40))
    before = estimate_wait(samples=samples, as_of=AS_OF, queue=params)
    agreeing = [
        Sample(f"agreeing-{n}", "joined", AS_OF - timedelta(minutes=5), AS_OF, position=before.queue_length)
        for n in range(extra)
    ]

    after = estimate_wait(samples=samples + agreeing, as_of=AS_OF, queue=params)

    assert (after.high_minutes + 1) / (after.low_minutes + 1) <= (before.high_minutes + 1) / (
        before.low_minutes + 1
    ) * 1.02
