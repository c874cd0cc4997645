"""Live accuracy: realised waits scored against the estimate published when each truck joined."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from queues.domain.accuracy import (
    MIN_SAMPLES,
    PublishedPoint,
    RealisedWait,
    accuracy_pairs,
    accuracy_windows,
)
from queues.tools.replay import parse_timestamp, replay
from queues.tools.worlds import world_draw, world_simulate

AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_a_realised_wait_is_scored_against_the_estimate_published_when_its_truck_joined():
    published = [
        PublishedPoint(at=AS_OF - timedelta(hours=12), wait_minutes=500, low_minutes=400, high_minutes=650),
        PublishedPoint(at=AS_OF - timedelta(hours=10), wait_minutes=300, low_minutes=250, high_minutes=350),
    ]
    # Joined 11 h 50 min ago (10 minutes after the first point), waited 600 minutes.
    realised = [RealisedWait(crossed_at=AS_OF - timedelta(hours=1, minutes=50), waited_minutes=600)]

    [scored] = accuracy_pairs(published=published, realised=realised)

    assert scored.error_minutes == 100
    assert scored.hit


def test_a_truck_that_joined_when_nothing_was_published_is_not_scored():
    published = [PublishedPoint(at=AS_OF - timedelta(hours=12), wait_minutes=500, low_minutes=400, high_minutes=650)]
    realised = [RealisedWait(crossed_at=AS_OF, waited_minutes=60)]  # joined 11 h after the only estimate

    assert accuracy_pairs(published=published, realised=realised) == []


def test_figures_are_null_below_ten_samples_and_windows_count_by_crossing_time():
    published = [PublishedPoint(at=AS_OF - timedelta(days=20), wait_minutes=100, low_minutes=90, high_minutes=110)]
    old = [RealisedWait(crossed_at=AS_OF - timedelta(days=20) + timedelta(minutes=130), waited_minutes=120)] * 12
    scored = accuracy_pairs(published=published, realised=old)

    windows = accuracy_windows(scored=scored, as_of=AS_OF)

    assert windows == [
        {"days": 7, "samples": 0, "mae_minutes": None, "interval_hit": None},
        {"days": 30, "samples": 12, "mae_minutes": 20, "interval_hit": 0.0},
    ]
    assert MIN_SAMPLES == 10


def test_on_a_replayed_world_live_accuracy_agrees_with_the_truth():
    run = world_simulate(world_draw(world_class="steady", seed=2, hours=72))
    lines = list(replay(run.reports, every=timedelta(minutes=15), spacing_m=run.spacing_m))
    truth = {parse_timestamp(line["at"]): line["true_wait_minutes"] for line in run.truth}
    published = [
        PublishedPoint(
            at=parse_timestamp(line["at"]),
            wait_minutes=line["estimate"]["wait_minutes"],
            low_minutes=line["estimate"]["low_minutes"],
            high_minutes=line["estimate"]["high_minutes"],
        )
        for line in lines
        if line["estimate"] is not None
    ]
    realised = [
        RealisedWait(crossed_at=parse_timestamp(line["observed_at"]), waited_minutes=line["waited_minutes"])
        for line in run.reports
        if line["kind"] == "crossed" and line.get("waited_minutes") is not None
    ]
    end = parse_timestamp(run.truth[-1]["at"])

    scored = accuracy_pairs(published=published, realised=realised)
    [week, _month] = accuracy_windows(scored=scored, as_of=end)
    # The same estimates against the known truth at the ticks those trucks joined.
    by_tick = {point.at: point for point in published}
    truth_errors = [
        abs(by_tick[tick].wait_minutes - truth[tick])
        for wait in realised
        if (tick := max((at for at in by_tick if at <= wait.joined_at), default=None)) is not None
        and wait.joined_at - tick <= timedelta(minutes=30)
        and tick in truth
    ]

    assert week["samples"] >= 50
    # A truck that joined up to 15 minutes after a tick, with minutes rounded, waits about what the tick's truth says.
    assert abs(week["mae_minutes"] - statistics.mean(truth_errors)) <= 0.15 * statistics.mean(truth_errors) + 10
