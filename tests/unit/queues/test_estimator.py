"""The pure wait estimator: plain samples in, an estimate out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from queues.domain.estimator import (
    MAX_WAIT_MINUTES,
    SAMPLE_WINDOW,
    QueueParams,
    Sample,
    estimate_wait,
    normal_pace,
    sample_from_report,
)

AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def queue_reports(
    *,
    length: float = 200,
    pace: float = 20.0,
    drivers: int = 12,
    hours: float = 28,
    pace_after: float | None = None,
    change_hours_ago: float = 0.0,
    as_of: datetime = AS_OF,
    prefix: str = "driver",
) -> list[Sample]:
    """Drivers joining a queue of ``length`` trucks and moving up at ``pace`` trucks an hour.

    With ``pace_after`` the queue moves at that pace during the last ``change_hours_ago`` hours.
    """

    def cleared_between(older: float, newer: float) -> float:
        """Trucks cleared between ``older`` and ``newer`` hours ago."""
        split = change_hours_ago if pace_after is not None else 0.0
        slow = max(0.0, min(older, split) - min(newer, split))
        return (older - newer - slow) * pace + slow * (pace_after or 0.0)

    samples: list[Sample] = []
    for number in range(drivers):
        joined_ago = hours * (number + 0.5) / drivers
        driver = f"{prefix}-{number}"

        def at(ago: float) -> datetime:
            return as_of - timedelta(hours=ago)

        samples.append(Sample(driver, "joined", at(joined_ago), at(joined_ago), position=round(length)))
        ago = joined_ago - 1.0
        while ago > 0:
            position = length - cleared_between(joined_ago, ago)
            if position <= 0:
                waited = round((joined_ago - ago) * 60)
                samples.append(Sample(driver, "crossed", at(ago), at(ago), waited_minutes=waited))
                break
            samples.append(Sample(driver, "position", at(ago), at(ago), position=round(position)))
            ago -= 1.0
    return samples


def test_a_steady_queue_waits_its_length_over_its_throughput():
    samples = queue_reports(length=200, pace=20.0)

    result = estimate_wait(samples=samples, as_of=AS_OF)

    assert result is not None
    assert abs(result.wait_minutes - 600) <= 60
    assert result.low_minutes <= 600 <= result.high_minutes
    assert result.queue_length == 200
    assert abs(result.throughput_per_hour - 20.0) <= 2.0
    assert result.publishable
    assert not result.stale


def test_a_closure_makes_the_wait_grow_without_dividing_by_zero():
    steady = estimate_wait(samples=queue_reports(), as_of=AS_OF)

    closed = estimate_wait(samples=queue_reports(pace_after=0.0, change_hours_ago=4.0), as_of=AS_OF)

    assert closed is not None
    assert closed.wait_minutes > steady.wait_minutes
    assert closed.throughput_per_hour == 0.0
    assert closed.low_minutes <= closed.wait_minutes <= closed.high_minutes <= MAX_WAIT_MINUTES
    assert closed.high_minutes - closed.low_minutes > steady.high_minutes - steady.low_minutes


def test_a_queue_that_has_not_moved_all_day_still_gives_a_finite_wait():
    samples = queue_reports(pace=0.0)

    result = estimate_wait(samples=samples, as_of=AS_OF)

    assert result is not None
    assert 0 <= result.low_minutes <= result.wait_minutes <= result.high_minutes <= MAX_WAIT_MINUTES


def test_a_slowdown_shows_within_two_hours():
    steady = estimate_wait(samples=queue_reports(), as_of=AS_OF)

    slowed = estimate_wait(samples=queue_reports(pace_after=5.0, change_hours_ago=2.0), as_of=AS_OF)

    assert slowed.wait_minutes >= 1.3 * steady.wait_minutes
    assert slowed.throughput_per_hour < 10


def test_fewer_than_three_drivers_is_not_publishable():
    samples = queue_reports(drivers=2, hours=6)

    result = estimate_wait(samples=samples, as_of=AS_OF)

    assert result is not None
    assert result.drivers == 2
    assert not result.publishable


def test_an_estimate_with_no_report_for_hours_is_stale_and_low_confidence():
    samples = queue_reports()

    result = estimate_wait(samples=samples, as_of=AS_OF + timedelta(hours=3))

    assert result.stale
    assert result.confidence == "low"
    assert result.data_until <= AS_OF


def test_nothing_to_go_on_gives_none():
    assert estimate_wait(samples=[], as_of=AS_OF) is None


def test_reports_received_after_as_of_are_not_seen():
    samples = queue_reports()
    late = [
        Sample(f"late-{n}", "joined", AS_OF - timedelta(minutes=30), AS_OF + timedelta(hours=2), position=5000)
        for n in range(20)
    ]

    result = estimate_wait(samples=samples + late, as_of=AS_OF)

    assert result == estimate_wait(samples=samples, as_of=AS_OF)


def test_a_late_report_counts_at_the_time_it_was_observed():
    samples = queue_reports()
    # Sent four hours late, observed an hour ago: it is a fresh position once received.
    late = Sample("offline", "joined", AS_OF - timedelta(hours=1), AS_OF - timedelta(minutes=5), position=200)

    result = estimate_wait(samples=[*samples, late], as_of=AS_OF)

    assert result.data_until == max(sample.observed_at for sample in samples)
    assert result.reports == len(samples) + 1


def test_reports_older_than_the_window_are_ignored():
    samples = queue_reports()
    ancient = Sample("old", "joined", AS_OF - SAMPLE_WINDOW - timedelta(hours=1), AS_OF - SAMPLE_WINDOW, position=9)

    assert estimate_wait(samples=[*samples, ancient], as_of=AS_OF) == estimate_wait(samples=samples, as_of=AS_OF)


def test_distances_count_as_positions_with_the_queue_spacing():
    samples = [
        Sample(s.driver_id, s.kind, s.observed_at, s.received_at, distance_m=s.position * 25)
        if s.position is not None
        else s
        for s in queue_reports()
    ]

    result = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(vehicle_spacing_m=25.0))

    assert result.queue_length == 200


def test_three_accounts_flooding_no_queue_do_not_empty_the_queue():
    honest = queue_reports()
    flood = [
        Sample(f"spam-{n}", kind, AS_OF - timedelta(minutes=minutes), AS_OF - timedelta(minutes=minutes), **values)
        for n in range(3)
        for minutes in range(5, 28 * 60, 10)
        for kind, values in (("joined", {"position": 0}), ("crossed", {"waited_minutes": 5}))
    ]

    clean = estimate_wait(samples=honest, as_of=AS_OF)
    flooded = estimate_wait(samples=honest + flood, as_of=AS_OF)

    assert abs(flooded.wait_minutes - clean.wait_minutes) <= 0.15 * clean.wait_minutes
    assert flooded.drivers == clean.drivers  # the flooders' contradicted claims leave them uncounted


def test_a_flagged_report_weighs_less_than_a_clean_one():
    clean = sample_from_report(driver_id=7, kind="position", observed_at=AS_OF, received_at=AS_OF, position=3)
    flagged = sample_from_report(
        driver_id=7, kind="position", observed_at=AS_OF, received_at=AS_OF, position=3, flags=["burst"]
    )

    assert not clean.flagged
    assert flagged.flagged
    assert clean.driver_id == "7"


def test_the_normal_pace_is_the_median_of_past_paces_once_there_are_enough():
    assert normal_pace(history=[20.0] * 5) is None
    assert normal_pace(history=[10.0] * 5 + [20.0] * 8 + [5.0]) == 20.0


def test_a_long_slowdown_does_not_become_the_normal_pace():
    history = [20.0] * 40 + [5.0] * 36

    assert normal_pace(history=history) == 20.0


def test_the_result_carries_the_pace_level_for_the_normal_pace_memory():
    result = estimate_wait(samples=queue_reports(pace=20.0), as_of=AS_OF)

    assert result.pace_level_per_hour is not None
    assert abs(result.pace_level_per_hour - 20.0) <= 3.0


def test_a_slowdown_the_normal_pace_remembers_lengthens_the_wait_more_than_one_it_does_not():
    samples = queue_reports(pace_after=5.0, change_hours_ago=3.0)

    remembered = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(normal_per_hour=20.0))
    forgotten = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(normal_per_hour=5.0))

    assert remembered.wait_minutes < forgotten.wait_minutes
