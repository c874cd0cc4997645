"""The wait forecast: hand-checkable cases and the invariants of its range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queues.domain.forecast import (
    FORECAST_HORIZON,
    Closure,
    CurrentEstimate,
    Forecaster,
    ForecastInputs,
    ForecastOutOfRange,
    QueueSchedule,
    day_end,
    forecast_wait,
    join_margin,
    latest_join,
)

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def _estimate(wait=120, low=90, high=160, **extra) -> CurrentEstimate:
    return CurrentEstimate(wait_minutes=wait, low_minutes=low, high_minutes=high, computed_at=NOW, **extra)


def _day_night_history(days=3, day_wait=240.0, night_wait=60.0):
    """Hourly waits: long from 08:00 to 20:00 UTC, short at night."""
    points = []
    start = NOW - timedelta(days=days)
    for hour in range(days * 24):
        at = start + timedelta(hours=hour)
        points.append((at, day_wait if 8 <= at.hour < 20 else night_wait))
    return points


def test_forecast_for_now_is_the_current_estimate():
    forecast = forecast_wait(ForecastInputs(estimate=_estimate()), at=NOW)

    assert (forecast.wait_minutes, forecast.low_minutes, forecast.high_minutes) == (120, 90, 160)
    assert forecast.computed_at == NOW


@pytest.mark.parametrize("at", [NOW - timedelta(hours=1), NOW + FORECAST_HORIZON + timedelta(minutes=1)])
def test_forecast_outside_the_horizon_is_refused(at):
    with pytest.raises(ForecastOutOfRange):
        forecast_wait(ForecastInputs(estimate=_estimate()), at=at)


def test_the_range_widens_with_the_horizon_without_history():
    forecaster = Forecaster(ForecastInputs(estimate=_estimate()))

    near, far = forecaster.at(NOW + timedelta(hours=2)), forecaster.at(NOW + timedelta(hours=48))

    assert far.high_minutes - far.low_minutes > near.high_minutes - near.low_minutes
    assert far.confidence == "low"


def test_the_learned_day_profile_makes_daytime_joins_longer_than_night_joins():
    inputs = ForecastInputs(estimate=_estimate(wait=60, low=45, high=80), history=_day_night_history())
    forecaster = Forecaster(inputs)

    afternoon = forecaster.at(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    night = forecaster.at(datetime(2026, 3, 11, 2, 0, tzinfo=UTC))

    assert afternoon.wait_minutes > 1.3 * night.wait_minutes


def test_the_day_profile_is_trusted_more_the_more_days_showed_it():
    def ratio(days: int) -> float:
        forecaster = Forecaster(
            ForecastInputs(estimate=_estimate(wait=60, low=45, high=80), history=_day_night_history(days=days))
        )
        afternoon = forecaster.at(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
        night = forecaster.at(datetime(2026, 3, 11, 2, 0, tzinfo=UTC))
        return afternoon.wait_minutes / night.wait_minutes

    # An hour seen on n days keeps n / (n + PROFILE_SHRINK_DAYS) of its log difference from the usual level.
    assert 1.0 < ratio(2) < ratio(4) < ratio(7) < 4.0


def test_a_planned_closure_is_waited_out():
    closure = Closure(starts_at=NOW + timedelta(hours=3), ends_at=NOW + timedelta(hours=8))
    inputs = ForecastInputs(estimate=_estimate(wait=60, low=60, high=60), schedule=QueueSchedule(closures=(closure,)))

    forecast = forecast_wait(inputs, at=NOW + timedelta(hours=4))

    assert forecast.open_at_join is False
    # Four hours of closure still to come, then the hour of queue (and its backlog) after it.
    assert forecast.wait_minutes >= 4 * 60 + 60


def test_outside_opening_hours_the_truck_waits_for_the_opening():
    schedule = QueueSchedule(time_zone="Asia/Almaty", opening_hours=(time(9), time(18)))  # UTC+5
    inputs = ForecastInputs(estimate=_estimate(wait=30, low=30, high=30), schedule=schedule)

    # 20:00 local on 10 March: shut until 09:00 local on 11 March (04:00 UTC), 13 hours.
    forecast = forecast_wait(inputs, at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))

    assert forecast.open_at_join is False
    assert forecast.wait_minutes == 13 * 60 + 30


def test_a_spent_daily_quota_holds_the_truck_until_the_next_local_day():
    schedule = QueueSchedule(time_zone="UTC", daily_quota=100)
    inputs = ForecastInputs(estimate=_estimate(wait=30, low=30, high=30, throughput_per_hour=20.0), schedule=schedule)

    # By 18:00 the border has cleared 20 × 18 = 360 trucks: the 100 of the day are through.
    forecast = forecast_wait(inputs, at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC))

    assert forecast.quota_spent_at_join is True
    assert forecast.wait_minutes >= 6 * 60


def test_day_end_is_local_midnight_after_the_day():
    assert day_end(date(2026, 3, 14), "Europe/Samara") == datetime(2026, 3, 14, 20, 0, tzinfo=UTC)


def test_join_by_leaves_the_high_end_of_the_wait_before_the_deadline():
    forecaster = Forecaster(ForecastInputs(estimate=_estimate(wait=120, low=120, high=180)))
    deadline = NOW + timedelta(hours=30)

    plan = latest_join(forecaster, deadline=deadline, not_before=NOW)

    # The high end of the wait and the margin on top of it (a fifth of it, at least an hour) fit before the deadline,
    # and fifteen minutes later they would not.
    needed = timedelta(minutes=plan.forecast.high_minutes) + join_margin(plan.forecast)
    assert plan.in_time
    assert plan.join_by + needed <= deadline
    assert deadline - plan.join_by < needed + timedelta(minutes=15)


def test_join_by_says_when_even_joining_now_is_too_late():
    forecaster = Forecaster(ForecastInputs(estimate=_estimate(wait=600, low=500, high=700)))

    plan = latest_join(forecaster, deadline=NOW + timedelta(hours=3), not_before=NOW)

    assert plan.join_by == NOW
    assert not plan.in_time


@settings(deadline=None)  # learning the profile takes milliseconds, more on a loaded machine
@given(
    wait=st.integers(min_value=1, max_value=5000),
    spread=st.floats(min_value=1.0, max_value=4.0),
    hours=st.floats(min_value=0, max_value=72),
    day_wait=st.floats(min_value=1, max_value=3000),
)
def test_the_forecast_lies_inside_its_range(wait, spread, hours, day_wait):
    estimate = _estimate(wait=wait, low=max(1, round(wait / spread)), high=round(wait * spread))
    inputs = ForecastInputs(estimate=estimate, history=_day_night_history(day_wait=day_wait))

    forecast = forecast_wait(inputs, at=NOW + timedelta(hours=hours))

    assert 0 <= forecast.low_minutes <= forecast.wait_minutes <= forecast.high_minutes
