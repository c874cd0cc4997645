"""Invariants of the wait estimator, checked on generated report sets."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from queues.domain.estimator import QueueParams, Sample, estimate_wait

AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def report_sets(draw, *, min_drivers: int = 3, max_drivers: int = 10) -> list[Sample]:
    """Honest-looking drivers: each joins at some position and reports it falling, maybe crossing."""
    samples = []
    for number in range(draw(st.integers(min_drivers, max_drivers))):
        joined_ago = draw(st.floats(0.1, 1.9)) if number < 3 else draw(st.floats(0.1, 28))
        position = draw(st.integers(0, 600))
        pace = draw(st.floats(0, 60))
        driver = f"driver-{number}"
        at = AS_OF - timedelta(hours=joined_ago)
        delay = timedelta(minutes=draw(st.integers(0, 300)))
        samples.append(Sample(driver, "joined", at, min(at + delay, AS_OF), position=position))
        ago = joined_ago
        for _ in range(draw(st.integers(0, 6))):
            ago -= draw(st.floats(0.3, 4))
            if ago <= 0:
                break
            now_position = round(position - pace * (joined_ago - ago))
            at = AS_OF - timedelta(hours=ago)
            if now_position <= 0:
                samples.append(Sample(driver, "crossed", at, at, waited_minutes=round((joined_ago - ago) * 60)))
                break
            samples.append(Sample(driver, "position", at, at, position=now_position))
    return samples


@PROPERTY_SETTINGS
@given(report_sets())
def test_an_estimate_is_deterministic_non_negative_and_inside_its_interval(samples):
    first = estimate_wait(samples=samples, as_of=AS_OF)
    second = estimate_wait(samples=list(reversed(samples)), as_of=AS_OF)

    assert first == second
    assert first is not None
    assert 0 <= first.low_minutes <= first.wait_minutes <= first.high_minutes


@PROPERTY_SETTINGS
@given(report_sets(), st.integers(1, 5))
def test_more_agreeing_reports_never_widen_the_interval(samples, extra):
    before = estimate_wait(samples=samples, as_of=AS_OF)
    agreeing = [
        Sample(f"agreeing-{n}", "joined", AS_OF - timedelta(minutes=5), AS_OF, position=before.queue_length)
        for n in range(extra)
    ]

    after = estimate_wait(samples=samples + agreeing, as_of=AS_OF)

    # The interval is relative (an 80% range around a wait that the new weights may shift a little): its
    # ratio high / low never grows.
    assert (after.high_minutes + 1) / (after.low_minutes + 1) <= (before.high_minutes + 1) / (
        before.low_minutes + 1
    ) * 1.02


def _at(hour: int, minute: int = 0) -> datetime:
    return AS_OF.replace(hour=hour, minute=minute)


# Found by this property: a crossing flooded twice is distrusted (two crossings), yet its near-weightless vote still
# counted towards "three realised waits", so the estimator read the 3-hour window instead of widening to 6 h (83 min
# without the flooder, 141 with one claim, 171 with two copies).
FLOODED_CROSSING = [
    Sample("driver-0", "joined", _at(11), _at(11), position=0),
    Sample("driver-1", "joined", _at(10, 30), _at(10, 30), position=1),
    Sample("driver-1", "crossed", _at(11, 30), _at(11, 30), waited_minutes=60),
    Sample("driver-2", "joined", _at(11), _at(11), position=0),
    Sample("driver-3", "joined", _at(8), _at(8), position=1),
    Sample("driver-3", "crossed", _at(11), _at(11), waited_minutes=180),
    Sample("driver-4", "joined", _at(7), _at(7), position=0),
    Sample("driver-4", "crossed", _at(8), _at(8), waited_minutes=60),
]


@PROPERTY_SETTINGS
@given(
    report_sets(),
    st.sampled_from(["joined", "position", "crossed"]),
    st.integers(0, 2000),
    st.integers(2, 200),
)
@example(samples=FLOODED_CROSSING, kind="crossed", claim=0, copies=2)
def test_a_flooders_reports_weigh_no_more_than_one_driver(samples, kind, claim, copies):
    def flood(count: int) -> list[Sample]:
        values = {"waited_minutes": claim} if kind == "crossed" else {"position": claim}
        return [
            Sample("flooder", kind, AS_OF - timedelta(seconds=10 * n), AS_OF - timedelta(seconds=10 * n), **values)
            for n in range(count)
        ]

    without = estimate_wait(samples=samples, as_of=AS_OF)
    one_vote = estimate_wait(samples=samples + flood(1), as_of=AS_OF)
    many = estimate_wait(samples=samples + flood(copies), as_of=AS_OF)

    # One vote per driver: the copies may move that one driver's learned trust (their claims agree or clash with
    # one another over time), never add votes. Allowed slack: 2 minutes or 3% of the wait, whichever is larger
    # (seen: an empty queue at zero pace, 60 min without, 32 with one claim, 30 with a hundred copies).
    slack = max(2, 0.03 * without.wait_minutes)
    assert abs(many.wait_minutes - without.wait_minutes) <= abs(one_vote.wait_minutes - without.wait_minutes) + slack
    assert many.drivers <= one_vote.drivers


@PROPERTY_SETTINGS
@given(
    report_sets(),
    st.sampled_from(["joined", "position", "crossed"]),
    st.integers(0, 2000),
    st.integers(2, 200),
    st.sampled_from([60, 169, 600, 900]),
)
def test_a_flood_spread_over_hours_weighs_no_more_than_one_driver_reporting_hourly(
    samples, kind, claim, copies, every_seconds
):
    values = {"waited_minutes": claim} if kind == "crossed" else {"position": claim}
    flood = [
        Sample("flooder", kind, AS_OF - timedelta(seconds=every_seconds * n), AS_OF, **values) for n in range(copies)
    ]
    step = max(1, 3600 // every_seconds)
    hourly = flood[::step] + ([flood[-1]] if (len(flood) - 1) % step else [])

    def moved(extra: list[Sample]) -> float:
        result = estimate_wait(samples=samples + extra, as_of=AS_OF)
        return abs(math.log(result.wait_minutes + 1) - math.log(without.wait_minutes + 1))

    without = estimate_wait(samples=samples, as_of=AS_OF)

    # The same account reporting as often as an ordinary driver (hourly, or once) is the one driver it may weigh;
    # its copies in between add 5% (log scale) at most: they shift which reports fall in a window, never add votes.
    assert moved(flood) <= max(moved(hourly), moved(flood[:1])) + 0.05


@st.composite
def closures(draw) -> tuple[list[Sample], float, datetime]:
    """A queue moving at ``pace`` for a day, then shut: drivers reporting every 15 minutes; ``as_of`` is one hour
    into the closure (an hour of drivers seeing nothing move)."""
    pace = draw(st.floats(10, 40))
    length = draw(st.integers(max(100, round(pace * 4)), 500))
    closed_at = AS_OF - timedelta(hours=1)
    samples = []
    for number in range(draw(st.integers(3, 10))):
        # Seen moving for two hours at least before the closure: the queue's pace is known.
        joined_ago = draw(st.floats(3.0, min(28.0, length / pace - 0.5)))
        joined = AS_OF - timedelta(hours=joined_ago)
        driver = f"driver-{number}"
        samples.append(Sample(driver, "joined", joined, joined, position=length))
        at = joined + timedelta(minutes=15)
        while at <= AS_OF:
            open_hours = (min(at, closed_at) - joined) / timedelta(hours=1)
            position = round(length - pace * open_hours)
            samples.append(Sample(driver, "position", at, at, position=position))
            at += timedelta(minutes=15)
    return samples, pace, AS_OF


@PROPERTY_SETTINGS
@given(closures(), st.booleans())
def test_a_closure_drives_the_pace_to_zero_within_an_hour_of_evidence(closure, remembered):
    samples, pace, as_of = closure
    queue = QueueParams(normal_per_hour=pace if remembered else None)

    result = estimate_wait(samples=samples, as_of=as_of, queue=queue)

    assert result is not None
    assert result.throughput_per_hour is not None
    assert result.throughput_per_hour <= 0.1 * pace
