"""The estimate history tick: every moment falls in exactly one 5-minute UTC tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from queues.selectors.estimates import POINT_TICK, estimate_tick

moments = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2040, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-3, minutes=-30))]),
)


@given(moments)
def test_a_moment_lies_in_its_tick_which_starts_on_a_five_minute_boundary_in_utc(moment):
    tick = estimate_tick(moment)

    assert tick <= moment < tick + POINT_TICK
    assert tick.tzinfo == UTC
    assert (tick.minute % 5, tick.second, tick.microsecond) == (0, 0, 0)


@given(moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=5)))
def test_moments_in_one_tick_share_it(moment, later_by):
    tick = estimate_tick(moment)
    later = moment + later_by

    assert (estimate_tick(later) == tick) == (later < tick + POINT_TICK)


def test_the_tick_of_a_moment_is_its_time_floored_to_five_minutes():
    assert estimate_tick(datetime(2026, 11, 20, 12, 9, 59, 999999, tzinfo=UTC)) == datetime(
        2026, 11, 20, 12, 5, tzinfo=UTC
    )
