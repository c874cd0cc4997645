"""Crossing schedules (opening hours, quotas, planned closures) and what the estimator makes of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queues.domain.estimator import QueueParams, Sample, estimate_wait
from queues.domain.schedule import (
    Closure,
    OpeningHours,
    QueueSchedule,
    SideSchedule,
    expected_open_share,
    parse_opening_hours,
    queue_schedule,
    quota_used,
)

# 12:00 UTC is 17:00 in Asia/Oral (UTC+5).
AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "opens", "closes"),
    [("09:00-18:00", time(9), time(18)), ("22:00-06:00", time(22), time(6)), ("08:30-24:00", time(8, 30), time(0))],
)
def test_opening_hours_are_read_from_their_text_and_written_back(text, opens, closes):
    hours = parse_opening_hours(text)

    assert hours == OpeningHours(opens, closes)
    assert hours.text() == text


@pytest.mark.parametrize("text", ["9-18", "09:00-09:00", "25:00-26:00", "09:00-24:30", "09:00"])
def test_unreadable_opening_hours_are_refused(text):
    with pytest.raises(ValueError, match=re.escape(text)):
        parse_opening_hours(text)


def test_blank_opening_hours_are_unknown():
    assert parse_opening_hours("") is None


def test_a_border_is_open_within_its_local_hours_and_outside_its_closures():
    schedule = QueueSchedule(
        time_zone="Asia/Oral",
        hours=OpeningHours(time(9), time(18)),
        closures=(Closure(AS_OF + timedelta(hours=20), AS_OF + timedelta(days=2)),),
    )

    assert schedule.open_at(AS_OF)  # 17:00 local
    assert not schedule.open_at(AS_OF + timedelta(hours=2))  # 19:00 local
    assert not schedule.open_at(AS_OF + timedelta(days=1, hours=-2))  # 15:00 local, a day later: closed for works
    assert schedule.open_hours_per_day() == 9


def test_hours_across_midnight():
    schedule = QueueSchedule(time_zone="UTC", hours=OpeningHours(time(22), time(6)))

    assert schedule.open_at(AS_OF.replace(hour=23))
    assert schedule.open_at(AS_OF.replace(hour=5))
    assert not schedule.open_at(AS_OF)
    assert schedule.open_hours_per_day() == 8


def test_a_queue_is_open_when_both_sides_are_and_takes_the_smaller_quota():
    kazakh = SideSchedule("KZ", "Asia/Oral", OpeningHours(time(8), time(20)), 500)
    russian = SideSchedule("RU", "Asia/Oral", OpeningHours(time(9), time(21)), 800)

    schedule = queue_schedule(leaving=kazakh, entering=russian)

    assert schedule.hours == OpeningHours(time(9), time(20))
    assert schedule.daily_quota == 500
    assert schedule.time_zone == "Asia/Oral"


def test_a_quota_is_spent_at_the_pace_kept_since_the_local_day_began():
    schedule = QueueSchedule(time_zone="UTC", daily_quota=100)

    assert quota_used(schedule, at=AS_OF.replace(hour=2), pace=20) == pytest.approx(40)
    assert quota_used(schedule, at=AS_OF, pace=20) == 100
    assert expected_open_share(schedule, start=AS_OF.replace(hour=4), end=AS_OF.replace(hour=6), pace=20) == 0.5


def _queue(*, pace: float, hours: float, schedule: QueueSchedule | None) -> list[Sample]:
    """Drivers who joined at a position and moved up at ``pace`` while the schedule let trucks through."""
    samples = []
    length = 150
    for number in range(8):
        joined = AS_OF - timedelta(hours=hours * (number + 0.5) / 8)
        driver = f"driver-{number}"
        samples.append(Sample(driver, "joined", joined, joined, position=length))
        position, at = float(length), joined
        while at + timedelta(minutes=30) <= AS_OF:
            if schedule is None or schedule.open_at(at + timedelta(minutes=15)):
                position -= pace / 2
            at += timedelta(minutes=30)
            if position <= 0:
                waited = round((at - joined) / timedelta(minutes=1))
                samples.append(Sample(driver, "crossed", at, at, waited_minutes=waited))
                break
            samples.append(Sample(driver, "position", at, at, position=round(position)))
    return samples


def test_a_border_shut_for_the_night_is_no_closure_and_the_wait_counts_the_night():
    # 12:00 UTC is 17:00 local: an hour before closing. The queue of 150 clears at 20 an hour while open.
    hours = OpeningHours(time(9), time(18))
    schedule = QueueSchedule(time_zone="Asia/Oral", hours=hours)
    samples = _queue(pace=20, hours=28, schedule=schedule)

    known = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(schedule=schedule))
    unknown = estimate_wait(samples=samples, as_of=AS_OF)

    # 20 cleared by 18:00, then 15 h shut, then 130 more from 09:00: 1 + 15 + 6.5 = 22.5 h for the 151st truck.
    assert known is not None
    assert unknown is not None
    assert abs(known.predictors["forecast"] / 60 - 22.5) <= 3
    assert known.predictors["forecast"] > unknown.predictors["forecast"]


def test_a_spent_quota_waits_for_the_next_local_day():
    # The quota of 100 is spent by 17:00 local (pace 20 from midnight: by 05:00); nothing moves now.
    schedule = QueueSchedule(time_zone="Asia/Oral", daily_quota=100)
    quota_day = AS_OF.astimezone(schedule.zone()).replace(hour=0, minute=0).astimezone(UTC)
    samples = [
        Sample(f"driver-{n}", kind, at, at, position=position)
        for n in range(5)
        for kind, at, position in (
            ("joined", AS_OF - timedelta(hours=3), 120 + n),
            ("position", AS_OF - timedelta(minutes=90), 120 + n),
            ("position", AS_OF - timedelta(minutes=5), 120 + n),
        )
    ]
    samples += [
        Sample(f"early-{n}", kind, quota_day + timedelta(hours=offset), quota_day + timedelta(hours=offset), position=p)
        for n in range(4)
        for kind, offset, p in (("joined", -6.0, 200), ("position", -4.0, 160), ("position", 2.0, 40 + n))
    ]

    result = estimate_wait(samples=samples, as_of=AS_OF, queue=QueueParams(schedule=schedule, normal_per_hour=20))

    # Shut until local midnight (7 h), then 100 a day at 20 an hour: truck 121 is through on day two, ~7+24+1 h.
    assert result is not None
    assert 24 * 60 <= result.predictors["forecast"] <= 40 * 60


@settings(max_examples=25, deadline=None)
@given(st.integers(6, 12), st.integers(0, 23))
def test_a_wait_never_ends_while_the_border_is_shut(open_hours, hour):
    schedule = QueueSchedule(time_zone="UTC", hours=OpeningHours(time(8), time(8 + open_hours)))
    as_of = AS_OF.replace(hour=hour)
    samples = [
        Sample(f"d-{n}", kind, as_of - timedelta(hours=ago), as_of - timedelta(hours=ago), position=position)
        for n in range(4)
        for kind, ago, position in (("joined", 6.0, 50 + n), ("position", 3.0, 30 + n), ("position", 0.5, 10 + n))
    ]

    result = estimate_wait(samples=samples, as_of=as_of, queue=QueueParams(schedule=schedule))

    assert result is not None
    through = as_of + timedelta(minutes=result.predictors["forecast"])
    assert schedule.open_at(through - timedelta(minutes=1))
