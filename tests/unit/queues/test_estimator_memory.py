"""The normal-pace memory: which of a queue's earlier pace levels ``normal_pace`` is given (pace_history_hourly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queues.domain.estimator import NORMAL_MEMORY, _day_shape, pace_history_hourly, pace_memory_start

AS_OF = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)


def test_the_memory_starts_at_the_first_whole_hour_within_a_week():
    assert pace_memory_start(AS_OF) == datetime(2026, 11, 13, 13, 0, tzinfo=UTC)
    assert pace_memory_start(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 13, 12, 0, tzinfo=UTC)


def test_one_pace_per_hour_is_remembered_the_first_known_one():
    hour = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    points = [
        (hour, None),
        (hour + timedelta(minutes=5), 18.0),
        (hour + timedelta(minutes=10), 30.0),
        (hour + timedelta(minutes=55), 31.0),
        (hour + timedelta(hours=1), 21.0),
        (hour + timedelta(hours=1, minutes=5), 22.0),
        (hour + timedelta(hours=2, minutes=50), 19.5),
    ]

    assert pace_history_hourly(points, as_of=AS_OF) == [18.0, 21.0, 19.5]


def test_paces_older_than_the_memory_or_not_before_as_of_are_left_out():
    start = pace_memory_start(AS_OF)
    points = [
        (start - timedelta(minutes=5), 1.0),
        (start, 20.0),
        (AS_OF - timedelta(minutes=10), 21.0),
        (AS_OF, 99.0),
        (AS_OF + timedelta(hours=1), 98.0),
    ]

    assert pace_history_hourly(points, as_of=AS_OF) == [20.0, 21.0]


def test_a_queue_without_history_remembers_nothing():
    assert pace_history_hourly([], as_of=AS_OF) == []


_offsets = st.lists(
    st.tuples(st.integers(min_value=-9 * 24 * 12, max_value=24), st.one_of(st.none(), st.floats(0, 60))),
    max_size=120,
)


@given(points=_offsets)
def test_at_most_one_pace_per_hour_of_the_past_week_and_only_known_paces(points):
    timed = sorted(((AS_OF + timedelta(minutes=5 * offset), pace) for offset, pace in points), key=lambda p: p[0])

    paces = pace_history_hourly(timed, as_of=AS_OF)

    hours = {
        at.replace(minute=0, second=0)
        for at, pace in timed
        if pace is not None and pace_memory_start(AS_OF) <= at < AS_OF
    }
    assert len(paces) == len(hours) <= NORMAL_MEMORY / timedelta(hours=1)
    assert None not in paces


@given(points=_offsets)
def test_keeping_only_the_first_pace_of_each_hour_as_it_comes_remembers_the_same(points):
    # What replay keeps as the ticks go by (the first pace of each hour) is enough to rebuild the memory.
    timed = sorted(((AS_OF + timedelta(minutes=5 * offset), pace) for offset, pace in points), key=lambda p: p[0])
    kept: list[tuple[datetime, float]] = []
    for at, pace in timed:
        if pace is not None and (not kept or kept[-1][0].replace(minute=0) != at.replace(minute=0)):
            kept.append((at, pace))

    assert pace_history_hourly(kept, as_of=AS_OF) == pace_history_hourly(timed, as_of=AS_OF)


# --- The day shape the day after an event ----------------------------------------------------------------------------


def _movers_with_slice_paces(paces: list[float]) -> list:
    """Four drivers per 3-hour slice of the past day (oldest slice first), each moving at that slice's pace."""
    movers = []
    for index, pace in enumerate(paces):
        older = 24.0 - 3.0 * index
        for _ in range(4):
            hours = [older - 0.25, older - 2.75]
            positions = [100.0 + pace * 2.5, 100.0]
            movers.append(([-value for value in hours], hours, positions, 1.0))
    return movers


def test_a_closure_yesterday_neither_lowers_the_typical_pace_nor_becomes_a_rhythm():
    rhythm = [16.0, 18.0, 20.0, 22.0, 24.0]
    movers = _movers_with_slice_paces([*rhythm, 0.0, 0.0, 0.0])

    shape, typical = _day_shape(movers, 20.0)

    # The typical hour is the median of the ordinary slices (20 an hour), not dragged down by the closed ones.
    assert typical == pytest.approx(20.0, rel=0.01)
    assert shape[5:] == [shape[5]] * 3  # the closed slices count as ordinary hours
    assert shape[0] < shape[2] < shape[4]


def test_thinly_seen_slices_lean_towards_the_normal_pace_given():
    movers = _movers_with_slice_paces([20.0] * 8)[:1]  # one driver in the oldest slice only

    _, towards_high = _day_shape(movers, 30.0)
    _, towards_low = _day_shape(movers, 10.0)

    assert towards_high > towards_low
