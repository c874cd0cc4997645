"""Exit plans: the latest moment to join each exit queue of a country and still be through by the end of the latest
exit day in that side's local time; and the days an exit queue adds to a planned stay."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from queues.domain.forecast import JOIN_BY_MARGIN_SHARE, join_margin
from queues.selectors.forecast import exit_plan_list, exit_queue_days
from tests.support.partner import NOW, isolate_cache, publish_estimate, queue_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    with time_machine.travel(NOW, tick=False):
        yield


def test_each_exit_queue_with_an_estimate_gets_its_join_by_earliest_first():
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=600, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=60, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "KZ-RU"), wait=60, computed_at=NOW)  # the way in: not an exit

    plan = exit_plan_list(country="RU", latest_exit=date(2026, 11, 23), now=NOW)

    assert [(item.crossing, item.direction) for item in plan] == [
        ("taskala-ozinki", "RU-KZ"),
        ("syrym-mashtakovo", "RU-KZ"),
    ]
    for item in plan:
        # The end of 23 November where the queue stands: Saratov is UTC+4, Yekaterinburg UTC+5.
        deadline = {"taskala-ozinki": datetime.fromisoformat("2026-11-23T20:00:00+00:00"),
                    "syrym-mashtakovo": datetime.fromisoformat("2026-11-23T19:00:00+00:00")}[item.crossing]  # fmt: skip
        needed = timedelta(minutes=item.high_minutes)
        assert item.in_time
        assert item.join_by + needed <= deadline
        margin = max(timedelta(hours=1), JOIN_BY_MARGIN_SHARE * needed)
        assert deadline - item.join_by - needed < timedelta(minutes=15) + margin


def test_with_no_estimate_at_any_exit_the_plan_is_empty():
    assert exit_plan_list(country="RU", latest_exit=date(2026, 11, 23), now=NOW) == []


def test_a_queue_too_long_for_the_time_left_says_join_now_and_not_in_time():
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=900, computed_at=NOW)

    (item,) = exit_plan_list(country="RU", latest_exit=date(2026, 11, 21), now=NOW)

    assert item.join_by == NOW
    assert not item.in_time


def test_the_join_margin_is_the_calibrated_share_of_the_high_end_and_at_least_an_hour():
    from queues.domain.forecast import Forecast

    def forecast(high):
        return Forecast(NOW, high, high, high, "low", NOW, None, None)

    assert join_margin(forecast(60)) == timedelta(hours=1)
    assert join_margin(forecast(1000)) == timedelta(minutes=460)


def test_an_exit_queue_of_hours_adds_no_day_and_one_of_a_day_adds_one():
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=1500, computed_at=NOW)

    assert exit_queue_days(country="RU", exit_day=date(2026, 12, 1), crossing="taskala-ozinki", now=NOW) == 0
    assert exit_queue_days(country="RU", exit_day=date(2026, 12, 1), crossing="syrym-mashtakovo", now=NOW) >= 1
    # Every exit crossing: the best of them.
    assert exit_queue_days(country="RU", exit_day=date(2026, 12, 1), crossing=None, now=NOW) == 0
    assert exit_queue_days(country="RU", exit_day=date(2026, 12, 1), crossing="aksai-ilek", now=NOW) is None


def _closing(monkeypatch, *, slug: str, closure=None, quota=None) -> None:
    from queues.domain.forecast import QueueSchedule
    from queues.selectors import forecast as forecast_reads

    def schedule(queue):
        mine = queue.crossing.slug == slug
        return QueueSchedule(
            time_zone=forecast_reads.queue_time_zone(queue),
            closures=(closure,) if mine and closure else (),
            daily_quota=quota if mine else None,
        )

    monkeypatch.setattr(forecast_reads, "queue_schedule", schedule)


def test_an_exit_closed_before_the_deadline_must_be_joined_before_it_closes(monkeypatch):
    from queues.domain.forecast import Closure

    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)
    (open_plan,) = exit_plan_list(country="RU", latest_exit=date(2026, 11, 23), now=NOW)
    closure = Closure(starts_at=NOW + timedelta(hours=24), ends_at=NOW + timedelta(hours=72), reason="repairs")
    _closing(monkeypatch, slug="taskala-ozinki", closure=closure)

    (closed_plan,) = exit_plan_list(country="RU", latest_exit=date(2026, 11, 23), now=NOW)

    assert closed_plan.in_time
    assert closed_plan.join_by < open_plan.join_by
    assert closed_plan.join_by + timedelta(minutes=closed_plan.high_minutes) <= closure.starts_at


def test_an_exit_whose_day_quota_runs_out_must_be_joined_earlier(monkeypatch):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)
    (free,) = exit_plan_list(country="RU", latest_exit=date(2026, 11, 22), now=NOW)
    _closing(monkeypatch, slug="taskala-ozinki", quota=1)

    (limited,) = exit_plan_list(country="RU", latest_exit=date(2026, 11, 22), now=NOW)

    assert limited.in_time
    assert limited.join_by < free.join_by  # a truck past the day's quota waits for the next local day
